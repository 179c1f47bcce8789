"""Texts of the command line (``hwdesk …``), Japanese and English."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "cli.admin.first_run_demo": (
        "初回起動のため、デモ用データベースを作成しました: {path}",
        "First run: a demo database was created at {path}",
    ),
    "cli.admin.up_to_date": (
        "データベースは最新です（スキーマ {current} / {head}）: {url}",
        "Database is up to date (schema {current} / {head}): {url}",
    ),
    "cli.admin.demo_created": (
        "デモデータベースを作成しました: 職員 {staff}、求職者 {seekers}、セッション {sessions}（{url}）\nデモ用アカウント: clerk1 / super1 / admin1（高松）パスワード hwdesk-demo",
        "Demo database created: {staff} staff, {seekers} seekers, {sessions} sessions ({url})\nDemo accounts: clerk1 / super1 / admin1 (Takamatsu), password hwdesk-demo",
    ),
    "cli.admin.col.id": ("ID", "ID"),
    "cli.admin.col.name": ("名称", "Name"),
    "cli.admin.col.services": ("サービス", "Services"),
    "cli.admin.col.consent": ("同意", "Consent"),
    "cli.admin.col.terms": ("規約版", "Terms"),
    "cli.admin.building_demo_data": ("デモデータを作成中", "Building demo data"),
    "cli.admin.offices": ("事業所", "Offices"),
    "cli.admin.unverified_values": (
        "{id}: 規約にない未確認の値（事業所に確認してください）: {values}",
        "{id}: not in the terms, unverified (confirm with the office): {values}",
    ),
    "cli.counter.note_no_wish_continuing": (
        "注意: 継続的な職業相談の希望が記録されていません（--wishes-continuing）。利用条件を満たしません。",
        "Note: no wish for continuing counseling recorded (--wishes-continuing); the condition is not met.",
    ),
    "cli.handouts.wrote_handout": ("案内書{n_pages}部を書き出しました: {out}", "Wrote {n_pages} handout(s): {out}"),
    "cli.handouts.wrote_calendar_file_event": (
        "カレンダー（予定{n}件）を書き出しました: {ics_out}",
        "Wrote a calendar file ({n} event(s)): {ics_out}",
    ),
    "cli.handouts.not_printed_use_stopped": (
        "印刷しませんでした（利用中止中・予約取消しを伝えてください）: #{sess_id} {no} {name}",
        "Not printed (use stopped; tell them the booking is cancelled): #{sess_id} {no} {name}",
    ),
    "cli.maintenance.re_anchored_audit_row": (
        "監査ログ ID {last_id} でアンカーを付け直し、記録しました。",
        "Re-anchored at audit row {last_id}, and recorded it.",
    ),
    "cli.maintenance.name_search_index_rebuilt": (
        "氏名の検索索引を作り直しました（求職者 {n:,} 人）。",
        "Name search index rebuilt ({n:,} seekers).",
    ),
    "cli.maintenance.backup_written_bytes_audit": (
        "バックアップを作成しました: {path}（{size:,} バイト、監査ログ {audit_rows} 行）",
        "Backup written: {path} ({size:,} bytes, {audit_rows} audit rows)",
    ),
    "cli.maintenance.restored": (
        "復元しました: {file} → {target}（監査ログ {rows} 行）",
        "Restored {file} → {target} ({rows} audit rows)",
    ),
    "cli.maintenance.discarded_anchor_audit_row": (
        "破棄したアンカー: {file}（監査ログ ID {last_id}、{written_at}）",
        "Discarded anchor: {file} (audit row {last_id}, {written_at})",
    ),
    "cli.maintenance.audit_head": ("監査ログの先頭: {head_file}", "Audit head: {head_file}"),
    "cli.maintenance.replaced_database_was_kept": (
        "置き換える前のデータベースを残しました: {kept_aside}",
        "The replaced database was kept at {kept_aside}",
    ),
    "cli.printers.col.name": ("名前", "Name"),
    "cli.printers.col.use": ("使用", "Use"),
    "cli.printers.col.state": ("状態", "State"),
    "cli.printers.col.reason": ("理由", "Reason"),
    "cli.printers.col.description": ("説明", "Description"),
    "cli.printers.this_terminal_printer_choice": (
        "この端末のプリンター設定を消しました（CUPSの既定のプリンターを使います）。",
        "This terminal's printer choice is forgotten (CUPS's default is used).",
    ),
    "cli.printers.this_terminal_now_prints": (
        "この端末のプリンターを「{use}」にしました。",
        "This terminal now prints on '{use}'.",
    ),
    "cli.printers.printers": ("プリンター", "Printers"),
    "cli.printers.cups_has_no_printers": ("CUPSにプリンターが登録されていません。", "CUPS has no printers."),
    "cli.printers.this_terminal_printer_no": (
        "この端末で選ばれたプリンター「{chosen}」はもうありません。",
        "This terminal's printer '{chosen}' no longer exists.",
    ),
    "cli.printers.this_terminal": ("この端末", "this terminal"),
    "cli.printers.default": ("既定", "default"),
    "cli.records.ground_change": ("変更の根拠: {ground}", "Ground for the change: {ground}"),
    "cli.records.version_added_effective": (
        "第{version}版を登録しました（{effective}から適用）。",
        "Version {version} added (effective {effective}).",
    ),
    "cli.records.notify_version": (
        "{office} 第{number}版の告知対象: {n_rows}人",
        "To notify of {office} version {number}: {n_rows}",
    ),
    "cli.records.recorded_that_was_told": (
        "{seeker_no} に第{number}版の改訂を告知したことを記録しました。",
        "Recorded that {seeker_no} was told of version {number}.",
    ),
    "cli.records.lawful_request_export_written": (
        "法令に基づく照会への回答を出力しました: {path}（{rows}件, SHA-256 {sha256}）",
        "Lawful-request export written: {path} ({rows} records, SHA-256 {sha256})",
    ),
    "cli.records.seekers_inactive_months_or": (
        "{months}か月以上利用のない求職者: {n_rows}人（確認のみ。匿名化するには --apply）",
        "Seekers inactive for {months} months or more: {n_rows} (dry run; --apply to anonymize)",
    ),
    "cli.records.exported_rows": ("{rows}行を出力しました: {out}", "Exported {rows} rows to {out}"),
    "cli.records.breakdown_total": ("{title}  計 {text}（単位: {unit}）", "{title}  total {text} ({unit})"),
    "cli.records.anonymized_seekers_no_activity": (
        "{n_anonymized}人を匿名化しました（{cutoff} 以降の利用なし）。統計は保持されます。",
        "Anonymized {n_anonymized} seekers (no activity since {cutoff}); statistics are kept.",
    ),
    "cli.seekers.col.no": ("求職番号", "No."),
    "cli.seekers.col.name": ("氏名", "Name"),
    "cli.seekers.col.reading": ("フリガナ", "Reading"),
    "cli.seekers.col.born": ("生年月日", "Born"),
    "cli.seekers.col.phone": ("電話", "Phone"),
    "cli.seekers.col.office": ("事業所", "Office"),
    "cli.seekers.no_seekers_found": ("該当する求職者はいません。", "No seekers found."),
    "cli.seekers.importing": ("取り込み中", "Importing"),
    "cli.seekers.already_registered_skipped_refused": (
        "{verb}: {added}件、登録済みのため省略: {skipped}件、エラー: {n_errors}件",
        "{verb}: {added}, already registered (skipped): {skipped}, refused: {n_errors}",
    ),
    "cli.serve.serving": (
        "hwdesk を {public_url} で提供しています（データベース: {db}、同時 {max_sessions} 画面まで）。Ctrl+C で終了します。",
        "Serving hwdesk on {public_url} (database: {db}; up to {max_sessions} sessions). Ctrl+C stops it.",
    ),
    "cli.serve.note_listening_use_it": (
        "注意: {host} で待ち受けます。他の端末から使う場合は TLS のリバースプロキシの背後に置いてください（docs/deployment.md）。",
        "Note: listening on {host}. To use it from other machines, put it behind a TLS reverse proxy (docs/deployment.md).",
    ),
    "cli.sessions.seat_confirmed": ("予約を確定しました。", "Seat confirmed."),
    "cli.sessions.session_moved": ("#{session_id} を #{id} に変更しました。", "Session #{session_id} moved to #{id}."),
    "cli.sessions.use_stopped": ("利用を中止しました（#{id}、{cite}）。", "Use stopped (#{id}, {cite})."),
    "cli.sessions.stop_use_lifted": ("利用の中止を解除しました。", "Stop of use lifted."),
    "cli.sessions.reminders": ("{target_day} のリマインド（{n_rows}件）", "Reminders for {target_day} ({n_rows})"),
    "cli.sessions.col.date": ("日付", "Date"),
    "cli.sessions.col.time": ("時間", "Time"),
    "cli.sessions.col.session": ("セッション", "Session"),
    "cli.sessions.col.staff": ("担当", "Staff"),
    "cli.sessions.col.seeker_seats": ("求職者・人数", "Seeker / seats"),
    "cli.sessions.agreement_cancelled_new_application": (
        "規約は解約されました。再度の利用には申込み（同意）が必要です。",
        "The agreement is cancelled; a new application (consent) is needed.",
    ),
    "cli.sessions.cancel_with_notice": (
        "  連絡してキャンセル: #{session} {start}",
        "  Cancel with notice: #{session} {start}",
    ),
    "cli.sessions.total": ("計", "total"),
    "cli.sessions.created": ("登録しました: ", "Created: "),
    "cli.sessions.session_full_waitlisted_position": (
        "満席のためキャンセル待ち（{pos}番）に登録しました。",
        "The session is full; waitlisted (position {pos}).",
    ),
    "cli.sessions.booked": ("予約しました。", "Booked."),
    "cli.sessions.session_cancelled_seeker_notify": (
        "セッションをキャンセルしました（連絡が必要な求職者 {n_enrollments}名）。",
        "Session cancelled ({n_enrollments} seeker(s) to notify).",
    ),
    "cli.sessions.now_closed": ("{day} を休業日にしました。", "{day} is now closed."),
    "cli.sessions.closure_removed": ("{day} の休業日を削除しました。", "Closure on {day} removed."),
    "cli.sessions.booking_cancelled": ("予約を取り消しました。", "Booking cancelled."),
    "cli.sessions.warning_cancel_notify_sessions": (
        "注意: この日のセッション {ids} をキャンセルして連絡してください。",
        "Warning: cancel and notify the sessions on that day: {ids}.",
    ),
    "cli.sessions.seat_offered_waiting_seeker": (
        " キャンセル待ち{offered}名に空席を案内中です。",
        " Seat offered to {offered} waiting seeker(s).",
    ),
    "cli.staff.unlocked": ("{login} のロックを解除しました。", "Unlocked {login}."),
    "cli.staff.no_account_locked": ("ロック中のアカウントはありません。", "No account is locked."),
    "cli.usage.usage_record_this_view": (
        "利用の記録 {n_rows}件（この閲覧は監査記録に残ります）",
        "{n_rows} usage record(s) (this view is audited)",
    ),
    "cli.usage.usage_record_added_session": (
        "利用の記録 #{rec_id} を登録しました（セッション {sid}）。",
        "Usage record #{rec_id} added (session {sid}).",
    ),
    "cli.usage.min": (" {minutes}分", " {minutes} min"),
    "cli.counter.consent_recorded_terms": (
        "{no} の同意を記録しました（規約 #{version}）。",
        "Consent of {no} recorded (terms #{version}).",
    ),
    "cli.counter.companion_notice_recorded": (
        "{number} の同席者の申出を記録しました。",
        "Companion notice of {number} recorded.",
    ),
    "cli.counter.recognition_need_recorded": (
        "{number} の必要性の認定を記録しました。",
        "Recognition of need for {number} recorded.",
    ),
    "cli.counter.no_registration_date": (
        "{seeker_no}: 求職登録日が記録されていません。",
        "{seeker_no}: no registration date.",
    ),
    "cli.counter.env_check_failed": (
        "{number} の利用環境の確認を記録しました。満たさない項目: {failed}",
        "Environment check of {number} recorded; failed: {failed}",
    ),
    "cli.counter.env_check_all_met": (
        "{number} の利用環境の確認を記録しました（すべて満たす）。",
        "Environment check of {number} recorded (all met).",
    ),
    "cli.counter.renewal_recorded": (
        "{number} の求職登録の更新を記録しました。有効期間: {until}まで（原則）",
        "Renewal of {number} recorded; valid until {until} (in principle).",
    ),
    "cli.counter.valid_until": (
        "{seeker_no}: 有効期間 {until}まで（原則）",
        "{seeker_no}: valid until {until} (in principle)",
    ),
    "cli.records.version_changed": (
        "{office}: 第{old}版 → 第{new}版（{effective}から適用）",
        "{office}: version {old} → {new} (effective {effective})",
    ),
    "cli.records.ground_without_consent": (
        "変更の根拠（承諾なく変更できる場合）: {cite} {label}",
        "Ground for the change without consent: {cite} {label}",
    ),
    "cli.records.series_line": (
        "{title}: {line}  計 {total}（単位: {unit}）",
        "{title}: {line}  total {total} ({unit})",
    ),
    "cli.sessions.warning": ("注意: {text}", "Warning: {text}"),
    "cli.sessions.closed": ("休業日: {reason}", "Closed: {reason}"),
    "cli.sessions.skipped": ("スキップ {date}: {reason}", "Skipped {date}: {reason}"),
    "cli.sessions.state_set": ("#{session_id}: {state}", "#{session_id}: {state}"),
    "cli.sessions.col.id": ("ID", "ID"),
    "cli.sessions.col.kind": ("種類", "Kind"),
    "cli.sessions.col.state": ("状態", "State"),
    "cli.sessions.col.companions": ("同席", "Companions"),
    "cli.sessions.col.warnings": ("注意", "Warnings"),
    "cli.sessions.col.seeker_no": ("求職番号", "No."),
    "cli.sessions.col.name": ("氏名", "Name"),
    "cli.sessions.col.phone": ("電話", "Phone"),
    "cli.sessions.col.missing": ("未了", "Missing"),
    "cli.sessions.col.last_call": ("前回", "Last call"),
    "cli.maintenance.no_problem": ("問題は見つかりませんでした。", "No problem found."),
    "cli.maintenance.problems": ("問題が {n} 件あります。", "{n} problem(s) found."),
    "cli.seekers.would_import": ("取り込み可能", "would import"),
    "cli.seekers.imported": ("取り込み", "imported"),
    "cli.serve.at_limit": (
        "hwdesk: 同時に使える画面の数（{n}）に達しています。しばらくしてから開き直してください。",
        "hwdesk: the server is at its limit of {n} sessions. Try again in a little while.",
    ),
    "cli.serve.bad_origin": (
        "hwdesk: このページからは接続できません。",
        "hwdesk: connections are not accepted from this page.",
    ),
    "cli.records.legend": ("（{legend}）", "({legend})"),
    "cli.records.period": ("{office}  {start}〜{end}", "{office}  {start} to {end}"),
    "cli.notices.dry_run_summary": (
        "確認のみ（送信していません）: 送信予定 {send}件、送らない {skipped}件、失敗見込み {failed}件",
        "Dry run (nothing sent): {send} would send, {skipped} skipped, {failed} would fail",
    ),
    "cli.notices.send_summary": (
        "送信 {sent}件、送らず {skipped}件、失敗（次回再送） {failed}件",
        "Sent {sent}, skipped {skipped}, failed {failed} (retried next run)",
    ),
    "cli.notices.none": ("通知はありません。", "No notices."),
    "cli.notices.channel": ("{office} の通知の送り方: {channel}", "{office} notice channel: {channel}"),
    "cli.notices.set_password": (
        "送信時に環境変数 {env} にパスワードを設定してください。",
        "Set the password in {env} when sending.",
    ),
    "cli.interpreter.ended": ("終了: {reason}", "ended: {reason}"),
    "cli.interpreter.corrects": ("(#{id} の訂正)", "(corrects #{id})"),
    "cli.interpreter.added": ("通訳の名簿に追加しました: {line}", "Added to the interpreter roster: {line}"),
    "cli.interpreter.empty": ("通訳の名簿に登録はありません。", "The interpreter roster is empty."),
    "cli.interpreter.removed": ("名簿の登録を終了しました: {line}", "Roster line ended: {line}"),
    "cli.interpreter.week": ("{week} の週の通訳", "Interpreters, week of {week}"),
    "cli.interpreter.line_load": (
        "{sessions}件 {minutes}分 / 在席 {roster}分",
        "{sessions} session(s), {minutes} min of {roster} min on the roster",
    ),
    "cli.interpreter.language_load": (
        "{language}: 必要 {sessions}件（通訳者 {in_person}・遠隔 {remote}・未手配 {uncovered}{missing}）",
        "{language}: {sessions} needed ({in_person} interpreter, {remote} remote, {uncovered} uncovered{missing})",
    ),
    "cli.followup.late": (
        "開始から{minutes}分を過ぎて受付のない方（{n}名）",
        "Not checked in {minutes} minutes after the start ({n})",
    ),
    "cli.followup.env_suggested": (
        "利用環境の確認の案内（接続できない回数が続いている方: {n}名）",
        "Environment check suggested (repeated connection failures: {n})",
    ),
    "cli.followup.no_shows": ("過去1週間の不参加（{n}件）", "No-shows of the past week ({n})"),
    "cli.followup.minutes_late": ("{n}分", "{n} min"),
    "cli.followup.col.start": ("開始", "Start"),
    "cli.followup.col.late": ("経過", "Late"),
    "cli.followup.col.call": ("電話の結果", "Call"),
    "cli.followup.col.when": ("日時", "When"),
    "cli.followup.col.reminder": ("リマインド電話", "Reminder call"),
    "cli.followup.call_corrected": (
        "電話の記録 #{corrects} を「{label}」に訂正しました（#{id}）。",
        "Call record #{corrects} corrected to {label} (#{id}).",
    ),
    "cli.followup.call_recorded": (
        "電話の結果「{label}」を記録しました（#{id}）。",
        "Call result {label} recorded (#{id}).",
    ),
}
