"""Make Toad (which asks for Python 3.14) run on Python 3.13, for the ACP test only.

Toad 0.6.20 declares Requires-Python >=3.14, and no registry this project reaches offers a
3.14 interpreter. Two 3.14 features stand in its way on 3.13:
- PEP 649 (annotations evaluated lazily): modules that name a class in an annotation before
  defining it fail to import; each such module gets `from __future__ import annotations`,
  and Toad's JSON-RPC layer, which evals string annotations, evals them in the module that
  wrote them;
- `concurrent.futures.InterpreterPoolExecutor`: a thread pool stands in for it.

    python on_python313.py SITE_PACKAGES PYTHON
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SHIM = '''"""Python 3.14 names Toad uses, on 3.13 (the agent's ACP test setup)."""
import concurrent.futures

if not hasattr(concurrent.futures, "InterpreterPoolExecutor"):
    concurrent.futures.InterpreterPoolExecutor = concurrent.futures.ThreadPoolExecutor
'''
IMPORT_ALL = """import importlib, sys, traceback
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except NameError as error:
        print(traceback.extract_tb(error.__traceback__)[-1].filename)
        sys.exit(3)
    except Exception:
        pass
"""


def lazy_annotations(path: Path) -> None:
    """Add `from __future__ import annotations` after the module's docstring."""
    text = path.read_text()
    docstring = re.match(r'(\s*(?:"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\')\s*\n)', text)
    head = docstring.group(1) if docstring else ""
    path.write_text(head + "from __future__ import annotations\n" + text[len(head) :])


def main(site: Path, python: str) -> None:
    """Apply the shims to the Toad installed in `site`, run by `python`."""
    (site / "toad_py313_shim.py").write_text(SHIM)
    (site / "toad_py313_shim.pth").write_text("import toad_py313_shim\n")
    rpc = site / "toad" / "jsonrpc.py"
    rpc.write_text(
        rpc.read_text().replace(
            "eval(parameter.annotation)\n",
            'eval(parameter.annotation, getattr(callable, "__globals__", None))\n',
        )
    )
    modules = [
        ".".join(p.relative_to(site).with_suffix("").parts).removesuffix(".__init__")
        for p in sorted((site / "toad").rglob("*.py"))
    ]
    for _ in range(100):
        done = subprocess.run(
            [python, "-c", IMPORT_ALL, *modules], capture_output=True, text=True, check=False
        )
        if done.returncode != 3:
            return
        failing = Path(done.stdout.strip().splitlines()[-1])
        print(f"lazy annotations: {failing.relative_to(site)}")
        lazy_annotations(failing)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
