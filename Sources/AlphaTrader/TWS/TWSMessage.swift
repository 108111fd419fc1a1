/// The TWS API's message ids, named: one definition for the client and the simulator, so that
/// neither writes a bare number for a message.
public enum TWSMessage {
    /// Client → server.
    public enum Outgoing: Int, Sendable {
        case reqMktData = 1
        case cancelMktData = 2
        case placeOrder = 3
        case cancelOrder = 4
        case reqOpenOrders = 5
        case reqAccountUpdates = 6
        case reqExecutions = 7
        case reqIds = 8
        case reqContractDetails = 9
        case reqMktDepth = 10
        case cancelMktDepth = 11
        case reqAutoOpenOrders = 15
        case reqAllOpenOrders = 16
        case reqManagedAccounts = 17
        case reqCurrentTime = 49
        case reqRealTimeBars = 50
        case cancelRealTimeBars = 51
        case reqGlobalCancel = 58
        case reqMarketDataType = 59
        case reqPositions = 61
        case cancelPositions = 64
        case startApi = 71
        case reqAccountUpdatesMulti = 76
        case cancelAccountUpdatesMulti = 77
        case reqSecDefOptParams = 78
        case reqCompletedOrders = 99

        public var code: String { String(rawValue) }
    }

    /// Server → client.
    public enum Incoming: Int, Sendable {
        case tickPrice = 1
        case tickSize = 2
        case orderStatus = 3
        case error = 4
        case openOrder = 5
        case accountValue = 6
        case portfolioValue = 7
        case accountUpdateTime = 8
        case nextValidId = 9
        case contractData = 10
        case executionData = 11
        case marketDepth = 12
        case marketDepthL2 = 13
        case managedAccounts = 15
        case tickOptionComputation = 21
        case tickGeneric = 45
        case tickString = 46
        case currentTime = 49
        case realTimeBars = 50
        case contractDataEnd = 52
        case openOrderEnd = 53
        case accountDownloadEnd = 54
        case executionDataEnd = 55
        case tickReqParams = 81
        case marketDataType = 58
        case commissionReport = 59
        case positionData = 61
        case positionEnd = 62
        case accountUpdateMultiEnd = 74
        case securityDefinitionOptionParameter = 75
        case securityDefinitionOptionParameterEnd = 76
        case completedOrder = 101
        case completedOrdersEnd = 102

        public var code: String { String(rawValue) }
    }
}
