import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// Short, readable text for errors from the network stack ("Connection refused", not a type dump).
enum TransportErrorMessage {
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "could not resolve the host \(error.host)" }
            if let first = error.connectionErrors.first { return describe(first.error) }
            return "could not connect to \(error.host):\(error.port)"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "the server closed the connection"
        default:
            return String(describing: error)
        }
    }
}
