// BerthAPIServer — see DESIGN.md
