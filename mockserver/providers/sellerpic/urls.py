"""SellerPic's URL map: operationId → handler (paths and methods come from ``specs/sellerpic.yaml``)."""

from __future__ import annotations

from ...core.provider import on_first_call

handlers = on_first_call(f"{__package__}.handlers")

URLS = {
    "upload-asset": handlers.upload,
    "get-upload-url": handlers.upload_url,
    "put-presigned-upload": handlers.put_presigned,
    "prompt-segmentation": handlers.prompt_segmentation,
    "segment-image": handlers.segment_image,
    "get-task": handlers.get_task,
    "get-download-url": handlers.get_download_url,
    "get-usage": handlers.get_usage,
    "get-file": handlers.get_file,
}
