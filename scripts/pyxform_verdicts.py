#!/usr/bin/env python3
"""Prints, as JSON, what pyxform (the reference XLSForm converter) says of each form
given on the command line: {"path": {"accepted": bool, "error": str}}.

Used by core/tests/xlsform_reference.rs to compare Safekeep's loader with pyxform.
Needs `pip install pyxform`; exits 3 if pyxform is not importable.
"""
import json
import os
import sys
import tempfile
import warnings

try:
    from pyxform.xls2xform import xls2xform_convert
except ImportError:
    sys.exit(3)

warnings.simplefilter("ignore")
out = {}
with tempfile.TemporaryDirectory() as tmp:
    for path in sys.argv[1:]:
        target = os.path.join(tmp, "out.xml")
        try:
            xls2xform_convert(xlsform_path=path, xform_path=target, validate=False)
            out[path] = {"accepted": True, "error": ""}
        except Exception as e:  # pyxform raises many kinds; all mean "rejected"
            out[path] = {"accepted": False, "error": f"{type(e).__name__}: {e}"[:300]}
print(json.dumps(out))
