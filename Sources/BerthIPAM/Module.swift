// BerthIPAM — see DESIGN.md
