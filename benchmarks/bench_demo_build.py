"""Demo province build: rows/s through the service vs a raw executemany of the same rows.

The service generates geometry and writes organisations, farmers and fields in bulk; the
baseline inserts the very same prepared rows with the DB-API's executemany into a second
fresh database. Ratio = service rate / raw rate (same run, same machine).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit, fresh_platform, timed
from sqlalchemy import insert

from nongso.core.permissions import SYSTEM
from nongso.demo import registry as demo_registry
from nongso.demo import services
from nongso.registry.models import Farmer, Organisation, ProductionUnit
from nongso.units import services as units

SCALE = float(os.environ.get("NONGSO_BENCH_SCALE", "1"))


def main() -> None:
    platform = fresh_platform()
    seconds = timed(lambda: services.build_demo(platform.uow(SYSTEM), "82", "bench-pass",
                                                scale=SCALE))
    communes = units.communes_of_province(platform.uow(), "82")
    data = demo_registry.build(communes, seed=2026, scale=SCALE)
    rows = len(data.organisations) + len(data.farmers) + len(data.units)

    raw = fresh_platform()

    def raw_insert() -> None:
        with raw.engine.begin() as conn:
            orgs = data.organisations
            conn.execute(insert(Organisation), [o for o in orgs if not o["parent_id"]])
            conn.execute(insert(Organisation), [o for o in orgs if o["parent_id"]])
            conn.execute(insert(Farmer), data.farmers)
            conn.execute(insert(ProductionUnit), data.units)

    raw_seconds = timed(raw_insert)
    emit("demo_build", scale=SCALE, rows=rows, seconds=round(seconds, 3),
         rows_per_s=round(rows / seconds), raw_executemany_rows_per_s=round(rows / raw_seconds),
         ratio_to_raw=round((rows / seconds) / (rows / raw_seconds), 3),
         note="service includes generating geometry; raw inserts pre-generated rows")


if __name__ == "__main__":
    main()
