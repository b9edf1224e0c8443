// BerthNetlinkWire — see DESIGN.md
