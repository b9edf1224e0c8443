import BerthDaemon
BerthDaemonMain.main()
