import sys

from automl_engine.cli import main

sys.exit(main())
