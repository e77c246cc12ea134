import Foundation

/// The session policy of an assignment's temporary credentials: the role's permissions,
/// narrowed to one bucket.
public enum SessionPolicy {
    /// Actions on the bucket itself: listing (for sync) and its location (for the bucket check).
    static let bucketActions = ["s3:ListBucket", "s3:GetBucketLocation"]
    /// Actions on the bucket's objects, including multipart uploads of large files.
    static let objectActions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]

    /// The policy document (compact JSON) allowing only `bucket` and its objects, in the
    /// partition of `roleARN` (`aws`, `aws-cn`, `aws-us-gov`).
    public static func document(bucket: String, roleARN: String) -> String {
        let partition = roleARN.split(separator: ":", omittingEmptySubsequences: false).dropFirst().first ?? "aws"
        let policy: [String: Any] = [
            "Version": "2012-10-17",
            "Statement": [
                ["Sid": "Bucket", "Effect": "Allow", "Action": bucketActions, "Resource": "arn:\(partition):s3:::\(bucket)"],
                ["Sid": "Objects", "Effect": "Allow", "Action": objectActions, "Resource": "arn:\(partition):s3:::\(bucket)/*"],
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: policy, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
