"""The cross-service tests build their events with the projector's test kit (`kpi_projector_testkit`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "services" / "kpi-projector" / "tests"))
