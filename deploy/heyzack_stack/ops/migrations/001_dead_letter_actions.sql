-- What operators did with dead letters: one row per letter, so a letter is redriven or discarded once.
-- The letter id is `<partition>@<offset>` in heyzack.deadletter.v1.
CREATE TABLE dead_letter_actions (
    letter_id        text        PRIMARY KEY,
    action           text        NOT NULL CHECK (action IN ('redriven', 'discarded')),
    reason           text,
    corrected_sha256 text,
    operator         text        NOT NULL,
    acted_at         timestamptz NOT NULL DEFAULT now()
);
