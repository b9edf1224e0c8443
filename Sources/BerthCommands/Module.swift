// BerthCommands — see DESIGN.md. PLACEHOLDER until the CLI lands: replace this whole file.
public enum BerthCLI {
    public static func main() {}
}
