// BerthClient — see DESIGN.md
