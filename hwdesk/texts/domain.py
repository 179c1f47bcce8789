"""Texts of the domain modules and services (lines for refusals, reports, printing), Japanese and English."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "timing.started": (
        "✘ セッションは{start:%H:%M}に開始済みです（監督者が理由を付けて例外承認できます）",
        "✘ The session started at {start:%H:%M} (a supervisor may book with a reason)",
    ),
    "offers.until": ("{until:%m/%d %H:%M}まで", "until {until:%m-%d %H:%M}"),
    "corrections.line": (
        "訂正 {at:%m/%d %H:%M} {by}: {who}{before} → {after}「{reason}」",
        "Corrected {at:%m/%d %H:%M} {by}: {who}{before} → {after} ({reason})",
    ),
    "reports.legend": (
        "<{threshold} = {threshold}未満のため非表示の件数　{protected} = それを守るため非表示にした件数　{suppressed} = 非表示の件数に基づく率・平均",
        "<{threshold} = a count under {threshold}, hidden; {protected} = a count hidden to protect such a cell; {suppressed} = a rate or mean on a hidden count",
    ),
    "printing.state.idle": ("待機中", "idle"),
    "printing.state.printing": ("印刷中", "printing"),
    "printing.state.stopped": ("停止中", "stopped"),
    "printing.rejecting": ("・受付停止", ", rejecting jobs"),
    "printing.job.printed": (
        "{printer} で {pages} ページ印刷しました（ジョブ {job}）。",
        "Printed {pages} page(s) on {printer} (job {job}).",
    ),
    "printing.job.queued": (
        "{printer} に {pages} ページ送りました（ジョブ {job}）。まだ順番待ちです{why}。プリンターで受け取ってください。",
        "Sent {pages} page(s) to {printer} (job {job}); it is still in the queue{why}. Collect the pages from the printer.",
    ),
    "printing.job.held": (
        "ジョブ {job} は {printer} で保留されています{why}。プリンターで解除するか、PDF（{path}）を渡してください。",
        "The job {job} is held at {printer}{why}. Release it at the printer, or hand over the PDF ({path}).",
    ),
    "printing.job.failed": (
        "{printer} で印刷できませんでした{why}。ジョブ {job} は取り消されました。{fallback}",
        "Printing failed on {printer}{why}; the job {job} was removed from the queue. {fallback}",
    ),
    "printing.why": ("（{why}）", " ({why})"),
    "importer.row_error": ("{line}行目: {field} — {message}", "line {line}: {field} — {message}"),
    "revisions.summary": ("{label}{heading}: {change}", "{label}{heading}: {change}"),
    "eligibility.line": ("{mark} {label}（{where}）{detail}", "{mark} {label} ({where}){detail}"),
    "eligibility.detail": ("：{detail}", ": {detail}"),
    "handouts.event.summary": ("{service}（{office}）", "{service} ({office})"),
    "handouts.event.meeting_id": ("ミーティングID: {v}", "Meeting ID: {v}"),
    "handouts.event.passcode": ("パスコード: {v}", "Passcode: {v}"),
    "revisions.none": ("変更はありません。", "No changes."),
    "exports.lookalikes": (
        "CP932にない文字を似た文字に置き換えました: {chars}",
        "Characters CP932 lacks were replaced by look-alikes: {chars}",
    ),
    "exports.unencodable": (
        "CP932で表せない文字を「?」にしました: {chars}",
        "Characters CP932 cannot encode were written as '?': {chars}",
    ),
}
