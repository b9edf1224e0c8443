import BerthCore
import Testing

@testable import BerthIPAM

@Suite struct JSONReaderTests {
    @Test func readsEveryKindOfValue() throws {
        let v = try JSONReader.parse(
            Array(
                #" {"a": [1, -2.5, 3e2, true, false, null], "s": "tab\t \u00e9 \ud83d\ude00 \"q\" \/", "o": {}} "#.utf8)
        )
        #expect(
            v
                == .object([
                    "a": .array([.integer(1), .number(-2.5), .number(300), .bool(true), .bool(false), .null]),
                    "s": .string("tab\t é 😀 \"q\" /"),
                    "o": .object([:]),
                ]))
    }

    @Test(arguments: [
        ("", "line 1, column 1: unexpected end of file where a value was expected"),
        ("{\"a\": 1,}", "line 1, column 9: expected a key in double quotes"),
        ("[1, 2,]", "line 1, column 7: expected a value (a string, number, object, list, true, false or null)"),
        ("{\"a\" 1}", "line 1, column 6: expected ':' after the key \"a\""),
        ("{\"a\": 01}", "line 1, column 8: expected ',' or '}' after the value of \"a\""),
        ("{\"a\": \"x}", "line 1, column 10: unterminated string"),
        ("{\"a\": \"\\q\"}", "line 1, column 9: invalid escape sequence in a string"),
        ("{}\n{}", "line 2, column 1: unexpected text after the JSON value"),
        ("// comment\n{}", "line 1, column 1: expected a value (a string, number, object, list, true, false or null)"),
        ("[1.]", "line 1, column 4: invalid number: digits must follow '.'"),
        ("[tru]", "line 1, column 2: expected a value (a string, number, object, list, true, false or null)"),
    ])
    func reportsWhereTheTextIsWrong(_ text: String, _ expected: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(Array(text.utf8)) }
        do {
            _ = try JSONReader.parse(Array(text.utf8))
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect((try? JSONReader.parse(Array(fine.utf8))) != nil)
    }
}
