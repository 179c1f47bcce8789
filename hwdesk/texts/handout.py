"""The handout's fixed wording (its headings, hints and footer), in the seeker's language: the
document's language, chosen per print, not the clerk's. ``handout.model.FIXED_TEXT`` reads these."""

TEXTS: dict[str, tuple[str, str]] = {
    "handout.platform_other": ("オンライン会議", "Online meeting"),
    "handout.doc_title": ("オンラインサービス 参加のご案内", "How to join your online session"),
    "handout.date": ("日時", "Date and time"),
    "handout.western": ("西暦", "Western calendar"),
    "handout.join": ("参加方法", "How to join"),
    "handout.app": ("使用アプリ", "App"),
    "handout.meeting_id": ("ミーティングID", "Meeting ID"),
    "handout.passcode": ("パスコード", "Passcode"),
    "handout.name_line": ("{name} 様", "Name: {name}"),
    "handout.qr_hint": (
        "スマートフォン等のカメラでQRコードを読み取ると、参加画面が開きます。",
        "Scan the QR code with your smartphone camera to open the meeting.",
    ),
    "handout.qr_join": ("参加用QRコード", "Join the meeting"),
    "handout.qr_calendar": ("カレンダー登録用QRコード", "Add to calendar"),
    "handout.qr_hint_both": (
        "「参加用」のQRコードを読み取ると、参加画面が開きます。",
        'Scan the "Join the meeting" QR code to open the meeting.',
    ),
    "handout.calendar_hint": (
        "「カレンダー登録用」のQRコードを読み取ると、日時と参加用URLをスマートフォンのカレンダーに登録できます。",
        'Scan the "Add to calendar" QR code to save the date, time and link in your phone\'s calendar.',
    ),
    "handout.url_hint": (
        "QRコードを読み取れない場合は、次のURLをブラウザに入力してください。",
        "If you cannot scan the QR code, type this address into your web browser:",
    ),
    "handout.notes": ("ご利用にあたっての注意事項", "Before you join: terms of use"),
    "handout.notes_hint": (
        "（\u3000）内は利用規約の該当箇所です。",
        "The article of the office's terms of use is shown in brackets.",
    ),
    "handout.contact": ("お問い合わせ", "Contact"),
    "handout.ref": ("整理番号", "Ref."),
    "handout.recording": ("録画・録音は禁止されています。", "Recording (video or audio) is prohibited."),
    "handout.continued": ("（続き）", " (continued)"),
    "handout.page": ("{n}/{total}", "Page {n} of {total}"),
    "handout.bullet": ("・", "•"),
    "handout.cite_open": ("（", " ["),
    "handout.cite_close": ("）", "]"),
}
