# Attachments of requests and replies (cp247-server API): problems with the files an officer
# sends. Keys are kebab-case. Arguments: $path (always); $count, $size, $max where named.
# Messages never quote a file name or content.

attachment-problem-too-many-attachments = { $path }: { $count } files are attached; at most { $max } are accepted per message.
attachment-problem-attachment-too-large = { $path }: the file is { $size } bytes long; at most { $max } bytes are accepted per file.
attachment-problem-attachments-too-large = { $path }: the files are { $size } bytes long together; at most { $max } bytes are accepted per message.
attachment-problem-invalid-base64 = { $path } is not base64 (the RFC 4648 alphabet with = padding, without line breaks).
attachment-problem-invalid-media-type = { $path } is not a media type: write type/subtype without parameters, e.g. application/pdf.
attachment-problem-file-name-empty = { $path } is empty: give the name of the file.
attachment-problem-file-name-too-long = { $path } is longer than 255 bytes.
attachment-problem-file-name-path-separator = { $path } contains / or \: give the name of the file only, without folders.
attachment-problem-file-name-control-character = { $path } contains a control character or an invisible formatting character (such as a right-to-left override).
attachment-problem-file-name-dot-name = { $path } cannot be . or .. (they name folders).
attachment-problem-file-name-edge-space = { $path } cannot start or end with a space.
