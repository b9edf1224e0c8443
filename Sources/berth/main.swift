import BerthCommands
BerthCLI.main()
