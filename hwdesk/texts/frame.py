"""Texts of the app's frame: Textual's own palette entries, form hints, sign-in and lock lines, the
handout save (Japanese, English).
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "sys.theme": ("テーマ", "Theme"),
    "sys.theme.help": ("画面の配色を選びます", "Change the current theme"),
    "sys.quit": ("終了", "Quit"),
    "sys.quit.help": ("アプリを終了します", "Quit the application as soon as possible"),
    "sys.keys": ("キー一覧", "Keys"),
    "sys.keys.help": (
        "選択中の項目の操作とキーの一覧を表示します",
        "Show help for the focused widget and a summary of available keys",
    ),
    "sys.keys.hide.help": ("キー一覧を閉じます", "Hide the keys and widget help panel"),
    "sys.maximize": ("最大化", "Maximize"),
    "sys.maximize.help": ("選択中の項目を画面いっぱいに表示します", "Maximize the focused widget"),
    "sys.minimize": ("元の大きさ", "Minimize"),
    "sys.minimize.help": ("最大化した項目を元の大きさに戻します", "Minimize the widget and restore to normal size"),
    "sys.screenshot": ("画面の保存", "Screenshot"),
    "sys.screenshot.help": ("今の画面を SVG ファイルに保存します", "Save an SVG 'screenshot' of the current screen"),
    "signin.demo_roles": (
        "  clerk…: 窓口職員  super…: 統括職員  admin…: 管理者",
        "  clerk…: clerk  super…: supervisor  admin…: administrator",
    ),
    "lock.body_manual": (
        "{name}（{login}）が画面をロックしました。{name}のパスワードを入力すると戻ります。",
        "{name} ({login}) locked the screen. Type the password of {name} ({login}) to go back.",
    ),
    "form.age_check": (
        "生年月日 {born} では {age}歳です（15歳未満か100歳超）。元号や年の入力違いではありませんか。このまま保存しますか。",
        "Born {born}, the seeker is {age} (under 15 or over 100). Is the era or year mistyped? Save it as typed?",
    ),
    "form.hint_seeker_no": ("5桁-数字（ハイフンなし可）", "5 digits - digits (hyphen optional)"),
    "form.hint_name": ("姓と名の間に空白", "family name, space, given name"),
    "form.hint_kana": ("カタカナかひらがな（姓と名の間に空白）", "katakana or hiragana (space between names)"),
    "form.hint_phone": ("数字（ハイフン可）・空欄可", "digits (hyphens allowed), may be empty"),
    "form.hint_email": ("空欄可", "may be empty"),
    "hp.sheets": ("・A4 {n}枚", ", {n} A4 page(s)"),
    "hp.lang_ja": ("日本語", "Japanese"),
    "hp.lang_en": ("英語", "English"),
    "hp.folder": ("保存先フォルダ", "Save to folder"),
    "hp.folder_prompt": (
        "保存先を確かめて Enter で保存します（Esc で取りやめ）。次回もこのフォルダが入ります。",
        "Check the folder and press Enter to save (Esc cancels). It is filled in next time too.",
    ),
    "hp.folder_empty": ("保存先フォルダを入力してください。", "Type the folder to save to."),
    "hp.folder_bad": (
        "{path} に保存できません（{why}）。別のフォルダを指定してください。",
        "Cannot save in {path} ({why}). Choose another folder.",
    ),
}
