// BerthAPI — see DESIGN.md
