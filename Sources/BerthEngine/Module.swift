// BerthEngine — see DESIGN.md
