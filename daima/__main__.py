from daima.cli import main

raise SystemExit(main())
