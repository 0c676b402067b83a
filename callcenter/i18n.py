"""UI strings in one place. Russian is the default language; English is the other."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"ru": "Колл-центр", "en": "Call centre"},
    "login_title": {"ru": "Вход", "en": "Log in"},
    "login": {"ru": "Логин", "en": "Login"},
    "password": {"ru": "Пароль", "en": "Password"},
    "log_in": {"ru": "Войти", "en": "Log in"},
    "log_out": {"ru": "Выйти", "en": "Log out"},
    "bad_credentials": {"ru": "Неверный логин или пароль", "en": "Wrong login or password"},
    "too_many_attempts": {
        "ru": "Слишком много попыток. Повторите через {seconds} с.",
        "en": "Too many attempts. Try again in {seconds} s.",
    },
    "csrf_failed": {
        "ru": "Форма устарела, отправьте её ещё раз.",
        "en": "The form has expired; please submit it again.",
    },
    "hello": {"ru": "Здравствуйте, {name}", "en": "Hello, {name}"},
    "role": {"ru": "Роль", "en": "Role"},
    "extension": {"ru": "Внутренний номер", "en": "Extension"},
    "status": {"ru": "Статус", "en": "Status"},
    "api_docs": {"ru": "Описание API (OpenAPI)", "en": "API description (OpenAPI)"},
    "role.operator": {"ru": "оператор", "en": "operator"},
    "role.supervisor": {"ru": "супервизор", "en": "supervisor"},
    "role.admin": {"ru": "администратор", "en": "administrator"},
    "presence.available": {"ru": "на месте", "en": "available"},
    "presence.busy": {"ru": "занят", "en": "busy"},
    "presence.break": {"ru": "перерыв", "en": "on a break"},
    "presence.offline": {"ru": "не в сети", "en": "offline"},
}
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text
