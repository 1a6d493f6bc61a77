"""Where the shared models and sample data live, for code that is not handed a data directory.

The station passes ``[station] data_dir`` down explicitly; this default is for library entry points run on their
own (``python -m vision.eval_masks``, benchmarks, tests). It lives here, not in the settings layer
(``gridpatrol.config``), so that the vision and simulator libraries never import ``gridpatrol`` (and with it every
package's settings and pymavlink).

Example:
    >>> default_data_dir().name
    'data'
"""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout (or installed tree) that holds the ``vision`` package.
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """Shared models and data: ``GRIDPATROL_DATA_DIR`` or ``../shared/data`` beside the checkout."""
    env = os.environ.get("GRIDPATROL_DATA_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"
