// BerthImage — see DESIGN.md
