from kore_contract.cli import main

raise SystemExit(main())
