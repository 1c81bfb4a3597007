from lusha_mcp.cli import main

raise SystemExit(main())
