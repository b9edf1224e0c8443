import BerthCore
import Testing

@testable import BerthMonitor

/// The files berth-monitor writes without Foundation must read exactly as the `JSONEncoder` output
/// they replace (berthd, `docker logs` readers and older state files all read them).
@Suite("monitor file formats")
struct MonitorFormatsTests {
    /// Golden bytes taken from `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]`.
    @Test func logLineEscapesLikeJSONEncoder() {
        let line = LogLine(log: "a\"b\\c/d\u{01}\u{08}\u{0c}\n\r\t\u{1f}\u{7f}é😀\u{2028}", stream: "stdout", time: "T")
        let expected =
            #"{"log":"a\"b\\c/d\u0001\b\f\n\r\t\u001f"# + "\u{7f}é😀\u{2028}" + #"","stream":"stdout","time":"T"}"# + "\n"
        #expect(String(decoding: line.encoded(), as: UTF8.self) == expected)
    }

    @Test func logLineRoundTrips() {
        let line = LogLine(log: "tab\there \"quoted\" \u{00}nul é\n", stream: "stderr", time: "2026-11-23T06:51:00.123456789Z")
        var bytes = line.encoded()
        #expect(bytes.last == UInt8(ascii: "\n"))
        bytes.removeLast()
        #expect(LogLine.decode(bytes) == line)
        // Docker's own lines (escaped `<`, `\/`, surrogate pairs) read too.
        #expect(
            LogLine.decode(Array(#"{"log":"\u003ca\/b\ud83d\ude00","stream":"stdout","time":"t"}"#.utf8))
                == LogLine(log: "<a/b😀", stream: "stdout", time: "t"))
        #expect(LogLine.decode(Array(#"{"log":"x","stream":"stdout"}"#.utf8)) == nil)
        #expect(LogLine.decode(Array("not json".utf8)) == nil)
    }

    @Test func monitorStateEncodesSortedWithoutNils() {
        let starting = MonitorState(status: .starting, monitorPid: 42)
        #expect(String(decoding: starting.encoded(), as: UTF8.self) == #"{"monitorPid":42,"oomKilled":false,"pid":0,"status":"starting"}"#)
        let exited = MonitorState(
            status: .exited, monitorPid: 42, pid: 7, startedAt: "s", finishedAt: "f", exitCode: 137,
            error: "exec: \"/x\": no such file", oomKilled: true)
        #expect(
            String(decoding: exited.encoded(), as: UTF8.self)
                == #"{"error":"exec: \"/x\": no such file","exitCode":137,"finishedAt":"f","monitorPid":42,"oomKilled":true,"pid":7,"startedAt":"s","status":"exited"}"#
        )
        #expect(MonitorState.decode(exited.encoded()) == exited)
        #expect(MonitorState.decode(starting.encoded()) == starting)
    }

    /// What `JSONEncoder` wrote before (escaped slashes, explicit nulls from other writers) still reads.
    @Test func monitorStateReadsOlderFilesAndRejectsBadOnes() {
        let old = #"{"exitCode":0,"finishedAt":"2026-01-01T00:00:00Z","monitorPid":9,"oomKilled":false,"pid":10,"startedAt":"a\/b","status":"exited"}"#
        #expect(
            MonitorState.decode(Array(old.utf8))
                == MonitorState(status: .exited, monitorPid: 9, pid: 10, startedAt: "a/b", finishedAt: "2026-01-01T00:00:00Z", exitCode: 0))
        #expect(MonitorState.decode(Array(#"{"monitorPid":9,"oomKilled":false,"pid":0,"status":"starting","error":null}"#.utf8)) != nil)
        #expect(MonitorState.decode(Array(#"{"monitorPid":9,"oomKilled":false,"pid":0,"status":"paused"}"#.utf8)) == nil)
        #expect(MonitorState.decode(Array(#"{"monitorPid":9,"pid":0,"status":"running"}"#.utf8)) == nil)
        #expect(MonitorState.decode(Array(#"{"monitorPid":9,"oomKilled":false,"pid":0,"status":"exited","exitCode":"1"}"#.utf8)) == nil)
        #expect(MonitorState.decode(Array(#"{"monitorPid":9999999999,"oomKilled":false,"pid":0,"status":"exited"}"#.utf8)) == nil)
        #expect(MonitorState.decode(Array("{".utf8)) == nil)
    }

    @Test func runtimeMessagesAndPidFiles() {
        let runc = #"time="2026-01-01T00:00:00Z" level=error msg="runc create failed: exec: \"nosuch\": executable file not found in $PATH""#
        #expect(OCIRuntime.firstLine("noise\n" + runc + "\n") == #"runc create failed: exec: "nosuch": executable file not found in $PATH"#)
        #expect(OCIRuntime.firstLine("\n\n") == "(no output)")
        #expect(OCIRuntime.firstLine("plain failure\n") == "plain failure")
        #expect(OCIRuntime.startFailureCode(OCIRuntime.firstLine(runc)) == 127)
        #expect(OCIRuntime.pid(fromPidFile: "1234") == 1234)
        #expect(OCIRuntime.pid(fromPidFile: " 1234\n") == 1234)
        #expect(OCIRuntime.pid(fromPidFile: "") == nil)
        #expect(OCIRuntime.pid(fromPidFile: "12 34") == nil)
        #expect(OCIRuntime.pid(fromPidFile: "x") == nil)
    }
}
