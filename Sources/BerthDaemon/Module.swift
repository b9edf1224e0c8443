// BerthDaemon — see DESIGN.md
