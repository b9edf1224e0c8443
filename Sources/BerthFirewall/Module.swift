// BerthFirewall — see DESIGN.md
