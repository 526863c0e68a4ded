"""Import every domain's models so that the metadata (and Alembic) knows all tables."""

from nongso.accounts import models as accounts_models
from nongso.alerts import models as alerts_models
from nongso.core import audit
from nongso.core.db import Base
from nongso.diary import models as diary_models
from nongso.market import models as market_models
from nongso.monitor import models as monitor_models
from nongso.opendata import models as opendata_models
from nongso.registry import models as registry_models
from nongso.remote import models as remote_models
from nongso.stats import models as stats_models
from nongso.trace import models as trace_models
from nongso.units import models as units_models
from nongso.vision import models as vision_models

__all__ = [
    "Base",
    "accounts_models",
    "alerts_models",
    "audit",
    "diary_models",
    "market_models",
    "monitor_models",
    "opendata_models",
    "registry_models",
    "remote_models",
    "stats_models",
    "trace_models",
    "units_models",
    "vision_models",
]
