"""What every fund shares and no setting changes: the money's unit and a reference's shape."""

from __future__ import annotations

SATANG_PER_BAHT = 100
# A reference as people see and type it (#12340): digits, the last a check digit; those
# issued before were 4 to 8 base-32 characters (01K7). models/references.py makes and
# reads them; the SMS grammar spots them.
REF_SHAPE = r"#?([0-9A-Z]{4,12})"
