// BerthCommands — see DESIGN.md
