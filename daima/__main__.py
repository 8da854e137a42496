"""`python -m daima`: as the `daima` command.

`python -m` puts the working directory first on the module path. A language server is started with the
workspace as its working directory, and a workspace is often a project whose packages share a name with
what the server imports (someone working on `markupsafe` or `jinja2`, which transformers imports): their
copy, not the installed one, would be loaded and the model would fail to load. The working directory is
taken off the path before anything else is imported (the editors' launchers also pass `-I`)."""

import os
import sys

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != os.getcwd() or p == _HERE]

from daima.cli import main  # noqa: E402  (after the path is made safe)

raise SystemExit(main())
