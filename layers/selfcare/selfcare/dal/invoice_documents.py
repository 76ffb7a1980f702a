"""Invoice PDFs in the invoices bucket (S3): short-lived presigned download URLs, and storing a PDF
(the projection and the local stack's demo data).

The URL is signed with the function's own credentials (s3:GetObject on the bucket's objects): no
call to S3 is made to sign it. Keys are `invoices/<customer id>/<invoice id>.pdf`.
"""

from __future__ import annotations

from selfcare import aws


def invoice_key(customer_id: str, invoice_id: str) -> str:
    return f"invoices/{customer_id}/{invoice_id}.pdf"


class InvoiceDocuments:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def download_url(self, key: str, expires_in: int, filename: str) -> str:
        return str(
            aws.client("s3").generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentType": "application/pdf",
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_in,
            )
        )

    def put_pdf(self, key: str, document: bytes) -> None:
        aws.client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=document, ContentType="application/pdf", ServerSideEncryption="AES256"
        )
