import Testing

@testable import BerthFirewall

/// Reading `nft -j list table` for `berth trace` and `berth doctor`: the bytes below are nft 1.0.6's
/// own answer for a table with one element in each kind of map and one counted rule.
@Suite struct LiveRulesetTests {
    static let listing = #"""
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "ip", "name": "t", "handle": 1}}, {"map": {"family": "ip", "name": "pub-tcp", "table": "t", "type": "inet_service", "handle": 2, "map": "ipv4_addr . inet_service", "elem": [[{"elem": {"val": 8080, "comment": "t:ep:abc"}}, {"concat": ["172.17.0.2", 80]}]]}}, {"map": {"family": "ip", "name": "pub-tcp-addr", "table": "t", "type": ["ipv4_addr", "inet_service"], "handle": 3, "map": "ipv4_addr . inet_service", "elem": [[{"elem": {"val": {"concat": ["127.0.0.1", 8081]}, "comment": "t:ep:def"}}, {"concat": ["172.17.0.3", 80]}]]}}, {"chain": {"family": "ip", "table": "t", "name": "published", "handle": 1}}, {"rule": {"family": "ip", "table": "t", "chain": "published", "handle": 4, "comment": "t", "expr": [{"counter": {"packets": 7, "bytes": 420}}, {"dnat": {"family": "ip", "addr": {"map": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": "@pub-tcp"}}}}]}}]}
        """#

    @Test func elementsKeepTheirKeysInNftSpellingAndTheirTags() throws {
        let r = try NftablesDriver.liveRuleset(json: Self.listing)
        #expect(r.chains == ["published"])
        #expect(
            r.elements == [
                MapElement(map: "pub-tcp", key: "8080", value: "172.17.0.2 . 80", comment: "t:ep:abc"),
                MapElement(map: "pub-tcp-addr", key: "127.0.0.1 . 8081", value: "172.17.0.3 . 80", comment: "t:ep:def"),
            ])
        #expect(r.rules == [ListedRule(table: "t", chain: "published", handle: 4, comment: "t", packets: 7)])
    }

    @Test func anEmptyTableHasNothing() throws {
        let r = try NftablesDriver.liveRuleset(
            json: #"{"nftables": [{"table": {"family": "ip", "name": "t", "handle": 1}}]}"#)
        #expect(r.chains.isEmpty && r.rules.isEmpty && r.elements.isEmpty)
    }
}
