// BerthStore — see DESIGN.md
