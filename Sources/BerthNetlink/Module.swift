// BerthNetlink — see DESIGN.md
