"""Texts of the supervisors' screens: the audit log and the monthly report (Japanese, English)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # --- audit log ------------------------------------------------------------------------------------
    "audit.title": ("監査ログ", "Audit log"),
    "audit.cmd": ("監査ログを開く（統括職員）", "Open the audit log (supervisors)"),
    "audit.what": ("監査ログの閲覧", "Viewing the audit log"),
    "audit.ph.staff": ("職員ID", "Staff ID"),
    "audit.ph.seeker": ("求職番号", "Seeker no."),
    "audit.ph.action": ("操作（前方一致）", "Action (prefix)"),
    "audit.ph.from": ("開始日 (2027-02-01/R9.2.1)", "From (YYYY-MM-DD)"),
    "audit.ph.to": ("終了日", "To"),
    "audit.col.at": ("日時 (JST)", "Time (JST)"),
    "audit.col.staff": ("職員", "Staff"),
    "audit.col.terminal": ("端末", "Terminal"),
    "audit.col.action": ("操作", "Action"),
    "audit.col.entity": ("対象", "Entity"),
    "audit.col.seeker": ("求職番号", "Seeker no."),
    "audit.col.detail": ("内容", "Detail"),
    "audit.chain.checking": ("ハッシュチェーンを検証中…", "Verifying the hash chain…"),
    "audit.chain.ok": (
        "✔ ハッシュチェーン検証済み（{n}件、改ざんなし）",
        "✔ Hash chain verifies ({n} rows, no tampering)",
    ),
    "audit.chain.bad": ("✘ ハッシュチェーンが壊れています: {problem}", "✘ The hash chain is broken: {problem}"),
    "audit.count": ("{n}件（新しい順）", "{n} rows (newest first)"),
    "audit.count_more": (
        "{n}件以上（新しい順、先頭{n}件を表示）。条件を絞ってください。",
        "{n}+ rows (newest first, first {n} shown). Narrow the filters.",
    ),
    "audit.none": ("該当する記録はありません。", "No matching entries."),
    "audit.k.clear": ("条件を消す", "Clear filters"),
    # --- monthly report -------------------------------------------------------------------------------
    "reports.title": ("月次集計", "Monthly report"),
    "reports.cmd": ("月次集計を開く（統括職員）", "Open the monthly report (supervisors)"),
    "reports.what": ("集計の閲覧", "Viewing the figures"),
    "reports.period": ("{office}　{month}（{first}〜{last}）", "{office}  {month} ({first} to {last})"),
    "reports.loading": ("集計中…", "Computing…"),
    "reports.figures": (
        "管理の指標（担当・予約・出席・空席案内・通訳）",
        "Management figures (load, bookings, attendance, offers, interpreters)",
    ),
    "reports.series.note": ("（非表示の日は0として描画）", "(hidden days are drawn as 0)"),
    "reports.series.range": ("最大 {max}　計 {total}（単位: {unit}）", "max {max}  total {total} ({unit})"),
    "reports.total": ("計", "total"),
    "reports.unit": ("単位: {unit}", "unit: {unit}"),
    "reports.exported": ("CSVを保存しました: {path}", "CSV saved: {path}"),
    "reports.exporting": ("CSVを出力中…", "Exporting the CSV…"),
    "reports.k.prev_month": ("前の月", "Previous month"),
    "reports.k.next_month": ("次の月", "Next month"),
    "reports.k.export": ("CSV出力", "Export CSV"),
    "reports.k.reload": ("再集計", "Reload"),
    # --- manager figures as plain lines (the CLI's text report) ---------------------------------------
    "fig.staff_load": ("職員別の担当（週ごと、件数・時間）", "Staff load per week (sessions, hours)"),
    "fig.week_line": ("{week}の週: 計 {sessions}件・{hours}時間", "week of {week}: {sessions} sessions, {hours} h"),
    "fig.attendance_line": (
        "{label}: 見込み {expected}・出席 {attended}・不参加 {no_show}・出席率 {rate}",
        "{label}: expected {expected}, attended {attended}, no-show {no_show}, rate {rate}",
    ),
    "fig.breakdown_line": ("{title}  計 {total}（単位: {unit}）", "{title}  total {total} ({unit})"),
    "fig.staff_line": ("{staff}: {sessions}件・{hours}時間", "{staff}: {sessions} sessions, {hours} h"),
    "fig.attendance": ("リマインド電話の結果別の出席（見込みの席数）", "Attendance by reminder call (seats expected)"),
}
