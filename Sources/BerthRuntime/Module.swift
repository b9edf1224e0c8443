// BerthRuntime — see DESIGN.md
