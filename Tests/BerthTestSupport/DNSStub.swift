extension TestSupport {
    /// A python upstream resolver for tests of forwarding: on `address`:`port` (UDP), it answers every
    /// A query with 192.0.2.77 and any other type with no records; it prints "ready" once bound and
    /// ends after 60 s without a query. Never the machine's real resolver.
    public static func dnsStubScript(address: String, port: UInt16) -> String {
        """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("\(address)", \(port)))
        s.settimeout(60)
        print("ready", flush=True)
        while True:
            try:
                d, a = s.recvfrom(512)
            except socket.timeout:
                break
            if len(d) < 12 or int.from_bytes(d[4:6], "big") != 1:
                continue
            qd = d[12:]
            answer = b"\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x3c\\x00\\x04\\xc0\\x00\\x02\\x4d"
            if qd[-4:-2] == b"\\x00\\x01":
                s.sendto(d[:2] + b"\\x81\\x80\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x00" + qd + answer, a)
            else:
                s.sendto(d[:2] + b"\\x81\\x80\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00" + qd, a)
        """
    }
}
