import GRDB

extension AppDatabase {
    /// A page of containers, newest first, with the total matching count; `search` matches the
    /// start of the id or any part of the bucket name, ignoring case.
    public func containers(status: ContainerStatus?, search: String?, limit: Int, offset: Int) async throws -> (records: [ContainerRecord], total: Int) {
        try await writer.read { db in
            var request = ContainerRecord.all()
            if let status { request = request.filter(ContainerRecord.Columns.status == status) }
            if let search, !search.isEmpty {
                let escaped = Self.likeEscaped(search)
                request = request.filter(sql: "(id LIKE ? ESCAPE '\\' OR s3Bucket LIKE ? ESCAPE '\\')", arguments: ["\(escaped)%", "%\(escaped)%"])
            }
            let total = try request.fetchCount(db)
            let records = try request.order(ContainerRecord.Columns.createdAt.desc, ContainerRecord.Columns.id).limit(limit, offset: offset).fetchAll(db)
            return (records, total)
        }
    }

    /// `text` with LIKE's wildcards and its escape character taken literally.
    static func likeEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
