/// berthd's entry point.
public enum BerthDaemonMain {
    public static func main() {}
}
