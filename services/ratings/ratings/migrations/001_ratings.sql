-- What ratings knows of installations (learned from heyzack.installations.v1), and what it owns: star
-- ratings, NPS surveys and customer issues. Every row belongs to one partner; primary keys lead with it.
-- Each learned fact keeps the aggregate_version that set it, so an older event never overwrites a newer one.
CREATE TABLE known_installations (
    partner_id       text        NOT NULL,
    installation_id  text        NOT NULL,
    customer_id      text,
    handyman_id      text,
    device_type      text,
    status           text,
    version          integer     NOT NULL CHECK (version >= 1),
    status_version   integer     NOT NULL DEFAULT 0,
    handyman_version integer     NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, installation_id)
);

CREATE TABLE ratings (
    partner_id      text        NOT NULL,
    id              text        NOT NULL,
    installation_id text        NOT NULL,
    customer_id     text        NOT NULL,
    handyman_id     text,
    device_type     text        NOT NULL,
    stars           smallint    NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment         text,
    version         integer     NOT NULL CHECK (version >= 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, id),
    CONSTRAINT one_rating_per_installation UNIQUE (partner_id, installation_id)
);

CREATE TABLE surveys (
    partner_id      text        NOT NULL,
    id              text        NOT NULL,
    customer_id     text        NOT NULL,
    installation_id text,
    sent_at         timestamptz NOT NULL,
    nps_score       smallint    CHECK (nps_score BETWEEN 0 AND 10),
    comment         text,
    answered_at     timestamptz,
    version         integer     NOT NULL CHECK (version >= 1),
    PRIMARY KEY (partner_id, id),
    CHECK ((nps_score IS NULL) = (answered_at IS NULL))
);

CREATE TABLE issues (
    partner_id      text        NOT NULL,
    id              text        NOT NULL,
    customer_id     text        NOT NULL,
    installation_id text,
    summary         text        NOT NULL,
    reported_at     timestamptz NOT NULL,
    resolved_at     timestamptz,
    version         integer     NOT NULL CHECK (version >= 1),
    PRIMARY KEY (partner_id, id)
);
