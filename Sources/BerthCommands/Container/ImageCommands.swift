import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import Foundation

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images (busybox:latest is built in).")
    @Flag(name: [.short, .long], help: "Only IDs.") var quiet = false

    func run() throws {
        let client = try Connection.client()
        let list = try client.call("GET", "/images/json", as: [ImageSummary].self)
        if quiet {
            for i in list { print(String(i.Id.dropFirst(7).prefix(12))) }
            return
        }
        var rows = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
        for i in list {
            let id = String(i.Id.dropFirst(7).prefix(12))
            let created = HumanDuration.text(seconds: Date().timeIntervalSince1970 - Double(i.Created)) + " ago"
            let size = String(format: "%.3gMB", Double(i.Size) / 1e6)
            if i.RepoTags.isEmpty { rows.append(["<none>", "<none>", id, created, size]) }
            for t in i.RepoTags {
                let colon = t.lastIndex(of: ":") ?? t.endIndex
                rows.append([String(t[..<colon]), colon == t.endIndex ? "latest" : String(t[t.index(after: colon)...]), id, created, size])
            }
        }
        print(TableWriter.render(rows), terminator: "")
    }
}

struct RmiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove images (refused while a container uses one, unless -f).")
    @Flag(name: [.short, .long], help: "Remove even if a container uses it.") var force = false
    @Argument(help: "Image names or IDs.") var images: [String]

    func run() throws {
        let client = try Connection.client()
        var failed = false
        for ref in images {
            do {
                let items = try client.call(
                    "DELETE", "/images/" + BerthClient.escapePath(ref) + (force ? "?force=1" : ""), as: [ImageDeleteResponseItem].self)
                for i in items {
                    if let u = i.Untagged { print("Untagged: \(u)") }
                    if let d = i.Deleted { print("Deleted: \(d)") }
                }
            } catch let e as BerthError {
                printError("Error response from daemon: \(e.message)")
                failed = true
            }
        }
        if failed { throw CLIFailure(code: 1) }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Make an image from a root filesystem tarball (.tar or .tar.gz).")
    @Option(name: [.short, .long], help: "Dockerfile-like change: 'ENV K=V', 'CMD [\"sh\"]', 'ENTRYPOINT …', 'WORKDIR /x', 'EXPOSE 80'.")
    var change: [String] = []
    @Argument(help: "The tarball ('-' for stdin).") var file: String
    @Argument(help: "NAME[:TAG] for the image.") var reference: String?

    func run() throws {
        let client = try Connection.client()
        let bytes = try ImportCommand.read(file)
        var q = "?fromSrc=-"
        if let reference {
            let colon = reference.lastIndex(of: ":").flatMap { reference[$0...].contains("/") ? nil : $0 }
            q += "&repo=" + BerthClient.escapeQuery(String(reference[..<(colon ?? reference.endIndex)]))
            if let colon { q += "&tag=" + BerthClient.escapeQuery(String(reference[reference.index(after: colon)...])) }
        }
        for c in change { q += "&changes=" + BerthClient.escapeQuery(c) }
        let reply = try client.upload("/images/create" + q, bytes: bytes)
        let status = (try? JSONDecoder().decode([String: String].self, from: Data(reply)))?["status"] ?? ""
        print(status)
    }

    static func read(_ file: String) throws -> [UInt8] {
        if file == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw BerthError.invalid("cannot read \(file): no such file or not readable")
        }
        return Array(data)
    }
}

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load images from a `docker save` archive or an OCI image layout tarball.")
    @Option(name: [.short, .long], help: "Archive to read (default stdin).") var input: String = "-"

    func run() throws {
        let client = try Connection.client()
        let reply = try client.upload("/images/load", bytes: try ImportCommand.read(input))
        let text = (try? JSONDecoder().decode([String: String].self, from: Data(reply)))?["stream"] ?? ""
        print(text, terminator: "")
    }
}
