"""UI strings in one place. Russian is the default language; English is the other."""

from __future__ import annotations

import datetime as dt

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
    "error.code.csrf_failed": {
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

# The operator's workplace (every feature's pages and templates, static/workplace.js, pop.js).
WORKPLACE: dict[str, dict[str, str]] = {
    "nav.desk": {"ru": "Рабочее место", "en": "Desk"},
    "nav.customers": {"ru": "Клиенты", "en": "Customers"},
    "nav.tasks": {"ru": "Мои задачи", "en": "My tasks"},
    "nav.new_order": {"ru": "Новый заказ", "en": "New order"},
    "search.label": {"ru": "Поиск клиента", "en": "Find a customer"},
    "search.placeholder": {
        "ru": "Имя, телефон или номер заказа",
        "en": "Name, phone or order number",
    },
    "search.button": {"ru": "Найти", "en": "Search"},
    "search.found": {"ru": "Найдено: {count}", "en": "Found: {count}"},
    "search.by_phone": {
        "ru": "Клиент с этим номером (не из вашей работы):",
        "en": "The customer with this number (not in your work):",
    },
    "search.nothing": {"ru": "Ничего не найдено.", "en": "Nothing found."},
    "pager.prev": {"ru": "Назад", "en": "Previous"},
    "pager.next": {"ru": "Дальше", "en": "Next"},
    "ws.title": {"ru": "Всплывающие карточки звонков", "en": "Call pop-ups"},
    "ws.connected": {"ru": "Карточки звонков подключены", "en": "Call pop-ups connected"},
    "ws.reconnecting": {
        "ru": "Нет связи с сервером, переподключаемся…",
        "en": "No connection to the server, reconnecting…",
    },
    "desk.waiting": {
        "ru": "Когда зазвонит ваш телефон, карточка клиента появится справа.",
        "en": "When your phone rings, the customer's card appears on the right.",
    },
    "desk.my_tasks": {"ru": "Открытые задачи", "en": "Open tasks"},
    "desk.all_tasks": {"ru": "все задачи", "en": "all tasks"},
    "desk.my_calls": {"ru": "Мои последние звонки", "en": "My recent calls"},
    "pop.panel": {"ru": "Входящие звонки", "en": "Incoming calls"},
    "pop.close": {"ru": "Закрыть", "en": "Close"},
    "pop.incoming": {"ru": "Входящий", "en": "Incoming"},
    "pop.outgoing": {"ru": "Исходящий", "en": "Outgoing"},
    "pop.answered_by_you": {"ru": "Вы разговариваете", "en": "You are on this call"},
    "pop.unknown_number": {"ru": "Неизвестный номер", "en": "Unknown number"},
    "pop.last_order": {"ru": "Последний заказ", "en": "Last order"},
    "pop.no_orders": {"ru": "Заказов ещё не было.", "en": "No orders yet."},
    "pop.recent_calls": {"ru": "Последние звонки", "en": "Recent calls"},
    "pop.open_tasks": {"ru": "Открытые задачи", "en": "Open tasks"},
    "pop.open_card": {"ru": "Открыть карточку", "en": "Open the card"},
    "pop.create_order": {"ru": "Создать заказ", "en": "Create an order"},
    "pop.add_task": {"ru": "Добавить задачу", "en": "Add a task"},
    "pop.create_customer": {"ru": "Создать клиента", "en": "Create a customer"},
    "marker.bad": {"ru": "Проблемный", "en": "Problem"},
    "customer.name": {"ru": "Имя", "en": "Name"},
    "customer.phones": {"ru": "Телефоны", "en": "Phones"},
    "customer.phones_hint": {
        "ru": "по одному на строке, в любом формате",
        "en": "one per line, any format",
    },
    "customer.email": {"ru": "E-mail", "en": "E-mail"},
    "customer.city": {"ru": "Город", "en": "City"},
    "customer.birthday": {"ru": "День рождения", "en": "Birthday"},
    "customer.tags": {"ru": "Метки", "en": "Tags"},
    "customer.tags_hint": {"ru": "через запятую: vip, bad…", "en": "comma-separated: vip, bad…"},
    "customer.manager": {"ru": "Персональный менеджер", "en": "Personal manager"},
    "customer.do_not_call": {"ru": "Не звонить", "en": "Do not call"},
    "customer.note": {"ru": "Заметка", "en": "Note"},
    "customer.orders_count": {"ru": "Заказов", "en": "Orders"},
    "customer.total_spent": {"ru": "Сумма покупок", "en": "Total spent"},
    "customer.average_check": {"ru": "Средний чек", "en": "Average check"},
    "customer.segment": {"ru": "Сегмент", "en": "Segment"},
    "customer.first_order_at": {"ru": "Первый заказ", "en": "First order"},
    "customer.last_order_at": {"ru": "Последний заказ", "en": "Last order"},
    "customer.created_at": {"ru": "Клиент с", "en": "Customer since"},
    "customer.orders": {"ru": "Заказы", "en": "Orders"},
    "customer.calls": {"ru": "Звонки", "en": "Calls"},
    "customer.tasks": {"ru": "Задачи", "en": "Tasks"},
    "customer.edit": {"ru": "Изменить данные клиента", "en": "Edit the customer"},
    "customer.new": {"ru": "Новый клиент", "en": "New customer"},
    "segment.vip": {"ru": "VIP", "en": "VIP"},
    "segment.prospect": {"ru": "без заказов", "en": "prospect"},
    "segment.new": {"ru": "новый", "en": "new"},
    "segment.regular": {"ru": "постоянный", "en": "regular"},
    "segment.lapsed": {"ru": "давно не покупал", "en": "lapsed"},
    "order.new": {"ru": "Новый заказ", "en": "New order"},
    "order.title": {"ru": "Заказ № {number}", "en": "Order {number}"},
    "order.number": {"ru": "Номер", "en": "Number"},
    "order.created_at": {"ru": "Создан", "en": "Created"},
    "order.status": {"ru": "Статус", "en": "Status"},
    "order.items": {"ru": "Товары", "en": "Items"},
    "order.total": {"ru": "Итого", "en": "Total"},
    "order.manager": {"ru": "Менеджер", "en": "Manager"},
    "order.customer": {"ru": "Клиент", "en": "Customer"},
    "order.phone": {"ru": "Телефон клиента", "en": "Customer's phone"},
    "order.customer_name": {"ru": "Имя клиента", "en": "Customer's name"},
    "order.customer_name_hint": {
        "ru": "для нового клиента, если номер ещё не знаком",
        "en": "for a new customer, when the number is not known yet",
    },
    "order.comment": {"ru": "Комментарий", "en": "Comment"},
    "order.none": {"ru": "Заказов нет.", "en": "No orders."},
    "order_status.new": {"ru": "новый", "en": "new"},
    "order_status.approved": {"ru": "подтверждён", "en": "approved"},
    "order_status.assembling": {"ru": "собирается", "en": "assembling"},
    "order_status.delivering": {"ru": "доставляется", "en": "delivering"},
    "order_status.complete": {"ru": "выполнен", "en": "complete"},
    "order_status.cancelled": {"ru": "отменён", "en": "cancelled"},
    "item.product": {"ru": "Товар", "en": "Product"},
    "item.quantity": {"ru": "Количество", "en": "Quantity"},
    "item.price": {"ru": "Цена", "en": "Price"},
    "item.add": {"ru": "Добавить строку", "en": "Add a row"},
    "item.remove": {"ru": "Удалить строку", "en": "Remove the row"},
    "money": {"ru": "{amount} ₽", "en": "₽{amount}"},
    "call.button": {"ru": "Позвонить", "en": "Call"},
    "call.title": {
        "ru": "Сначала зазвонит ваш телефон, затем — клиента",
        "en": "Your phone rings first, then the customer's",
    },
    "call.placing": {
        "ru": "Звоним на {phone}: возьмите трубку своего телефона…",
        "en": "Calling {phone}: pick up your phone…",
    },
    "call.connected": {"ru": "Соединяем с {phone}", "en": "Connecting you to {phone}"},
    "call.failed": {"ru": "Звонок не состоялся: {message}", "en": "The call failed: {message}"},
    "task.callback_new": {
        "ru": "Пропущенный звонок: перезвоните {who}",
        "en": "Missed call: call {who} back",
    },
    "call.when": {"ru": "Когда", "en": "When"},
    "call.direction": {"ru": "Тип", "en": "Direction"},
    "call.phone": {"ru": "Номер", "en": "Number"},
    "call.status": {"ru": "Итог", "en": "Outcome"},
    "call.manager": {"ru": "Менеджер", "en": "Manager"},
    "call.wait_talk": {"ru": "Ожидание / разговор", "en": "Wait / talk"},
    "call.none": {"ru": "Звонков нет.", "en": "No calls."},
    "direction.in": {"ru": "входящий", "en": "inbound"},
    "direction.out": {"ru": "исходящий", "en": "outbound"},
    "direction.internal": {"ru": "внутренний", "en": "internal"},
    "call_status.answered": {"ru": "отвечен", "en": "answered"},
    "call_status.missed": {"ru": "пропущен", "en": "missed"},
    "call_status.busy": {"ru": "занято", "en": "busy"},
    "call_status.failed": {"ru": "не состоялся", "en": "failed"},
    "call_status.live": {"ru": "идёт", "en": "in progress"},
    "route.personal_manager": {"ru": "личный менеджер", "en": "personal manager"},
    "route.vip": {"ru": "VIP-группа", "en": "VIP group"},
    "route.group": {"ru": "группа", "en": "group"},
    "route.fallback": {"ru": "резервный маршрут", "en": "fallback"},
    "route.click_to_call": {"ru": "звонок из CRM", "en": "click-to-call"},
    "unit.seconds": {"ru": "с", "en": "s"},
    "presence.failed": {
        "ru": "Статус не изменён: {message}",
        "en": "The status was not changed: {message}",
    },
    "task.title": {"ru": "Задача", "en": "Task"},
    "task.note": {"ru": "Описание", "en": "Note"},
    "task.deadline": {"ru": "Срок", "en": "Deadline"},
    "task.customer": {"ru": "Клиент", "en": "Customer"},
    "task.overdue": {"ru": "просрочена", "en": "overdue"},
    "task.take": {"ru": "Взять себе", "en": "Take"},
    "task.complete": {"ru": "Выполнено", "en": "Done"},
    "task.done": {"ru": "выполнена", "en": "done"},
    "task.none": {"ru": "Задач нет.", "en": "No tasks."},
    "task.new": {"ru": "Новая задача", "en": "New task"},
    "task.show_open": {"ru": "Открытые", "en": "Open"},
    "task.show_done": {"ru": "Выполненные", "en": "Done"},
    "task.callback": {"ru": "Перезвонить", "en": "Call back"},
    "task.callback_title": {"ru": "Перезвонить: {who}", "en": "Call back: {who}"},
    "task.event.missed": {"ru": "Пропущенный звонок: {at}", "en": "Missed call: {at}"},
    "task.event.missed_again": {
        "ru": "Ещё один пропущенный звонок: {at}",
        "en": "Another missed call: {at}",
    },
    "task.event.closed": {"ru": "Закрыта после разговора: {at}", "en": "Closed by a call: {at}"},
    "task.group_callbacks": {
        "ru": "Перезвонить (группа, никто не взял)",
        "en": "Callbacks for the group, not taken yet",
    },
    "form.has_errors": {"ru": "Исправьте ошибки:", "en": "Please fix these:"},
    "form.create": {"ru": "Создать", "en": "Create"},
    "form.save": {"ru": "Сохранить", "en": "Save"},
    "form.saved": {"ru": "Сохранено.", "en": "Saved."},
    "error.title": {"ru": "Ошибка", "en": "Error"},
    "error.status_403": {"ru": "Нет доступа", "en": "Not allowed"},
    "error.status_404": {"ru": "Не найдено", "en": "Not found"},
    "error.details": {"ru": "Подробности", "en": "Details"},
    # An error page says what went wrong by the error's code (error.code.<code>); a code with no
    # words of its own, by its status (error.message_<status>) — see pages.error_text.
    "error.message_400": {"ru": "Запрос не выполнен.", "en": "The request was not done."},
    "error.message_403": {
        "ru": "У вас нет прав на это действие.",
        "en": "You are not allowed to do this.",
    },
    "error.message_404": {
        "ru": "Такой страницы или записи нет.",
        "en": "There is no such page or record.",
    },
    "error.message_409": {
        "ru": "Не получилось: данные уже изменились. Обновите страницу.",
        "en": "That did not work: things have changed meanwhile. Reload the page.",
    },
    "error.message_422": {"ru": "Проверьте введённые данные.", "en": "Check what you entered."},
    "error.message_503": {
        "ru": "Сервис сейчас недоступен, попробуйте позже.",
        "en": "The service is unavailable now; try again later.",
    },
    "error.code.already_done": {
        "ru": "Эта задача уже выполнена.",
        "en": "This task is done already.",
    },
    "error.code.already_taken": {
        "ru": "Эту задачу уже взял другой менеджер.",
        "en": "Someone else has taken this task already.",
    },
    "error.code.supervisors_only": {
        "ru": "Звонки онлайн видят только супервизоры и администраторы.",
        "en": "The live board is for supervisors and administrators.",
    },
}
# The supervisors' live board (callcenter/live).
LIVE_BOARD: dict[str, dict[str, str]] = {
    "nav.live": {"ru": "Онлайн", "en": "Live"},
    "live.title": {"ru": "Звонки онлайн", "en": "Live board"},
    "live.today": {"ru": "Сегодня", "en": "Today"},
    "live.calls": {"ru": "Звонков", "en": "Calls"},
    "live.answered_pct": {"ru": "Отвечено", "en": "Answered"},
    "live.missed": {"ru": "Пропущено", "en": "Missed"},
    "live.avg_wait": {"ru": "Среднее ожидание", "en": "Average wait"},
    "live.avg_talk": {"ru": "Средний разговор", "en": "Average talk"},
    "live.current_calls": {"ru": "Текущие звонки", "en": "Current calls"},
    "live.customer": {"ru": "Клиент", "en": "Customer"},
    "live.state": {"ru": "Состояние", "en": "State"},
    "live.duration": {"ru": "Длительность", "en": "Duration"},
    "live.managers": {"ru": "Менеджеры", "en": "Managers"},
    "live.device": {"ru": "Телефон", "en": "Phone"},
    "live.callbacks": {"ru": "Перезвонить", "en": "Callbacks"},
    "live.ringing": {"ru": "звонит", "en": "ringing"},
    "live.talking": {"ru": "разговор", "en": "talking"},
    "live.listen": {"ru": "Слушать", "en": "Listen"},
    "live.stop": {"ru": "Остановить", "en": "Stop"},
    "live.mode.listen": {"ru": "Только слушать", "en": "Listen only"},
    "live.mode.whisper": {"ru": "Подсказать менеджеру", "en": "Whisper to the manager"},
    "live.mode.barge": {"ru": "Войти в разговор", "en": "Barge in"},
    "live.mode.now.listen": {
        "ru": "Вы слушаете, вас не слышно",
        "en": "Listening: nobody hears you",
    },
    "live.mode.now.whisper": {
        "ru": "Вас слышит только менеджер",
        "en": "Only the manager hears you",
    },
    "live.mode.now.barge": {"ru": "Вас слышат обе стороны", "en": "Both sides hear you"},
    "live.mode.no_mic": {
        "ru": "Без микрофона можно только слушать: разрешите микрофон для этого сайта",
        "en": "Without a microphone you can only listen: allow it for this site",
    },
    "live.mode_failed": {
        "ru": "Не удалось переключить режим: {message}",
        "en": "Could not switch the mode: {message}",
    },
    "live.listening": {"ru": "Вы слушаете звонок", "en": "You are listening to the call"},
    "live.listen_failed": {
        "ru": "Не удалось подключиться: {message}",
        "en": "Cannot listen: {message}",
    },
    "live.no_calls": {"ru": "Сейчас звонков нет.", "en": "No calls right now."},
    "live.no_tasks": {"ru": "Перезванивать некому.", "en": "No callbacks waiting."},
    "live.cluster.pbx": {"ru": "АТС {pbx}: ведёт {leader}", "en": "PBX {pbx}: led by {leader}"},
    "live.cluster.here": {"ru": "{name}, этот сервер", "en": "{name}, this server"},
    "live.cluster.none": {
        "ru": "никто (сервер сменяется)",
        "en": "nobody (a server is taking over)",
    },
    "live.cluster.instance": {
        "ru": "эта страница — с сервера {name}",
        "en": "this page is served by {name}",
    },
    "live.overdue": {"ru": "просрочено", "en": "overdue"},
    "live.unknown": {"ru": "неизвестный номер", "en": "unknown number"},
    # Why "Listen" did not connect, by the API's error code (ui.js errorText).
    "live.error.call_not_live": {"ru": "звонок уже закончился", "en": "the call has ended"},
    "live.error.call_not_answered": {
        "ru": "на звонок ещё не ответили",
        "en": "nobody has answered the call yet",
    },
    "live.error.listen_unavailable": {
        "ru": "прослушивание сейчас недоступно",
        "en": "listening is not available now",
    },
    "live.error.not_found": {
        "ru": "прослушивание уже закончилось",
        "en": "the listening has ended already",
    },
    "error.network": {"ru": "нет связи с сервером", "en": "the server cannot be reached"},
}
STRINGS.update(WORKPLACE)

# A manager's phone as the PBX reports it: Asterisk's device states (ast_devstate_str). The API
# keeps the raw value; pages show ``device.<state in lower case>`` (ui.js deviceState), and a
# state not listed here as "unknown".
DEVICE_STATES = (
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
    "UNKNOWN",
)
DEVICE: dict[str, dict[str, str]] = {
    "device.not_inuse": {"ru": "свободен", "en": "free"},
    "device.inuse": {"ru": "разговаривает", "en": "on a call"},
    "device.busy": {"ru": "занят", "en": "busy"},
    "device.invalid": {"ru": "не настроен на АТС", "en": "not set up on the PBX"},
    "device.unavailable": {"ru": "недоступен", "en": "unavailable"},
    "device.ringing": {"ru": "звонит", "en": "ringing"},
    "device.ringinuse": {
        "ru": "разговаривает, звонит ещё один",
        "en": "on a call, another one ringing",
    },
    "device.onhold": {"ru": "на удержании", "en": "on hold"},
    "device.unknown": {"ru": "неизвестно", "en": "unknown"},
    "device.browser": {"ru": "браузер: {state}", "en": "browser: {state}"},
    "device.unreachable": {"ru": "не дозвониться", "en": "unreachable"},
}
DEVICE_STATE_KEYS = tuple(f"device.{state.lower()}" for state in DEVICE_STATES)
STRINGS.update(DEVICE)

# The recordings page (callcenter/recordings) and the routing settings (callcenter/routing).
RECORDINGS_ROUTING: dict[str, dict[str, str]] = {
    "nav.recordings": {"ru": "Записи", "en": "Recordings"},
    "nav.routing": {"ru": "Маршрутизация", "en": "Routing"},
    "rec.from": {"ru": "С", "en": "From"},
    "rec.until": {"ru": "По", "en": "Until"},
    "rec.anyone": {"ru": "все", "en": "anyone"},
    "rec.any": {"ru": "любой", "en": "any"},
    "rec.customer": {"ru": "Клиент или телефон", "en": "Customer or phone"},
    "rec.customer_placeholder": {"ru": "Имя или номер", "en": "Name or number"},
    "rec.status": {"ru": "Запись", "en": "Recording"},
    "rec.min_duration": {"ru": "Длительность от, с", "en": "Duration from, s"},
    "rec.max_duration": {"ru": "до, с", "en": "to, s"},
    "rec.apply": {"ru": "Показать", "en": "Show"},
    "rec.reset": {"ru": "Сбросить", "en": "Reset"},
    "rec.of_customer": {"ru": "Клиент", "en": "Customer"},
    "rec.of_call": {"ru": "Звонок #{id}", "en": "Call #{id}"},
    "rec.which_customer": {
        "ru": "Нашлось несколько клиентов, выберите:",
        "en": "Several customers match; pick one:",
    },
    "rec.player": {"ru": "Прослушивание", "en": "Player"},
    "rec.waveform": {
        "ru": "Звуковая дорожка: щёлкните, чтобы перейти",
        "en": "Waveform: click to jump there",
    },
    "rec.play": {"ru": "Слушать", "en": "Play"},
    "rec.pause": {"ru": "Пауза", "en": "Pause"},
    "rec.speed": {"ru": "Скорость", "en": "Speed"},
    "rec.download": {"ru": "Скачать", "en": "Download"},
    "rec.review": {"ru": "Оценка разговора", "en": "Call review"},
    "rec.score": {"ru": "Оценка", "en": "Score"},
    "rec.comment": {"ru": "Комментарий", "en": "Comment"},
    "rec.reviewed": {"ru": "Оценка", "en": "Score"},
    "rec.not_reviewed": {"ru": "Ещё не оценён.", "en": "Not reviewed yet."},
    "rec.failed": {"ru": "Не получилось", "en": "Failed"},
    "rec.duration": {"ru": "Длительность", "en": "Duration"},
    "rec.card": {"ru": "карточка", "en": "card"},
    "rec.listen": {"ru": "Слушать", "en": "Listen"},
    "rec.none": {"ru": "Записей нет.", "en": "No recordings."},
    "rec.link": {"ru": "запись", "en": "recording"},
    "rec_status.ready": {"ru": "готова", "en": "ready"},
    "rec_status.ingesting": {"ru": "обрабатывается", "en": "processing"},
    "rec_status.failed": {"ru": "ошибка", "en": "failed"},
    "routing.readonly": {
        "ru": "Менять настройки может только администратор.",
        "en": "Only an administrator may change these settings.",
    },
    "routing.inactive": {"ru": "отключён", "en": "inactive"},
    "routing.default_group": {"ru": "Основная группа", "en": "Default group"},
    "routing.default_group_hint": {
        "ru": "Пусто — все менеджеры с внутренним номером.",
        "en": "Empty: every manager with an extension.",
    },
    "routing.vip_group": {"ru": "VIP-группа", "en": "VIP group"},
    "routing.vip_group_hint": {
        "ru": "Для VIP и постоянных клиентов без личного менеджера.",
        "en": "For VIPs and regulars without a personal manager.",
    },
    "routing.bad_group": {"ru": "Группа для проблемных", "en": "Group for bad callers"},
    "routing.bad_group_hint": {
        "ru": "Для клиентов с меткой «проблемный».",
        "en": "For customers tagged 'bad'.",
    },
    "routing.ring_at_once": {"ru": "Звонить одновременно", "en": "Ring at once"},
    "routing.ring_at_once_hint": {
        "ru": "Сколько менеджеров группы звонит сразу; 0 — вся группа.",
        "en": "How many of the group ring together; 0: the whole group.",
    },
    "routing.regular_after_orders": {
        "ru": "Постоянный после заказов",
        "en": "Regular after orders",
    },
    "routing.regular_after_orders_hint": {
        "ru": "Сколько выполненных заказов закрепляет личного менеджера.",
        "en": "Completed orders that give a customer a personal manager.",
    },
    "routing.callback_deadline_minutes": {
        "ru": "Срок перезвона, мин",
        "en": "Callback deadline, min",
    },
    "routing.callback_deadline_minutes_hint": {
        "ru": "За сколько минут перезвонить после пропущенного.",
        "en": "Minutes to call back after a missed call.",
    },
}
STRINGS.update(RECORDINGS_ROUTING)
STRINGS.update(LIVE_BOARD)
# The demo (callcenter/demo/): the "Answer" button on pops, only in `callcenter demo`.
DEMO: dict[str, dict[str, str]] = {
    "demo.answer": {"ru": "Ответить", "en": "Answer"},
    "demo.answer_hint": {
        "ru": "Демо: снять трубку вашего телефона на симуляторе АТС",
        "en": "Demo: pick up your phone on the PBX simulator",
    },
    "demo.answer_failed": {
        "ru": "Не удалось ответить: {message}",
        "en": "Could not answer: {message}",
    },
}
STRINGS.update(DEMO)
# Dial lists: the rule builder, the lists, the work mode (callcenter/dial_lists: pages.py,
# templates/dial_*.html, static/dial_*.js).
DIAL: dict[str, dict[str, str]] = {
    "nav.dial": {"ru": "Обзвон", "en": "Dial lists"},
    "dial.lists_title": {"ru": "Списки обзвона", "en": "Dial lists"},
    "dial.lists_mine": {
        "ru": "Списки, в которых вы работаете.",
        "en": "The lists you work on.",
    },
    "dial.no_lists": {"ru": "Списков обзвона пока нет.", "en": "No dial lists yet."},
    "dial.rules_title": {"ru": "Правила отбора", "en": "Dial rules"},
    "dial.saved_rules": {"ru": "Сохранённые правила", "en": "Saved rules"},
    "dial.no_rules": {
        "ru": "Правил пока нет: сначала создайте правило отбора.",
        "en": "No rules yet: create a rule first.",
    },
    "dial.new_rule": {"ru": "Новое правило", "en": "New rule"},
    "dial.templates": {"ru": "Готовые правила", "en": "Ready-made rules"},
    "dial.start_from_template": {
        "ru": "Начать с готового правила",
        "en": "Start from a ready-made rule",
    },
    "dial.rule": {"ru": "Правило", "en": "Rule"},
    "dial.rule_name": {"ru": "Название", "en": "Name"},
    "dial.rule_description": {"ru": "Описание", "en": "Description"},
    "dial.conditions": {"ru": "Условия", "en": "Conditions"},
    "dial.save_rule": {"ru": "Сохранить правило", "en": "Save the rule"},
    "dial.saved": {"ru": "Правило сохранено.", "en": "The rule is saved."},
    "dial.save_failed": {"ru": "Не получилось: {message}", "en": "Failed: {message}"},
    "dial.build_list_from_rule": {
        "ru": "Собрать список по правилу",
        "en": "Build a list from this rule",
    },
    "dial.owner": {"ru": "Автор", "en": "Owner"},
    "dial.updated": {"ru": "Изменено", "en": "Changed"},
    "dial.all": {"ru": "все условия (И)", "en": "all of (AND)"},
    "dial.any": {"ru": "любое из условий (ИЛИ)", "en": "any of (OR)"},
    "dial.add_condition": {"ru": "условие", "en": "condition"},
    "dial.add_group": {"ru": "группа условий", "en": "group"},
    "dial.remove": {"ru": "Удалить", "en": "Remove"},
    "dial.no_value": {"ru": "не указано", "en": "no value"},
    "dial.days": {"ru": "за дней:", "en": "in days:"},
    "dial.in_hint": {"ru": "через запятую", "en": "comma-separated"},
    "dial.field": {"ru": "Поле", "en": "Field"},
    "dial.op": {"ru": "Сравнение", "en": "Comparison"},
    "dial.op.in": {"ru": "одно из", "en": "one of"},
    "dial.op.contains": {"ru": "содержит", "en": "contains"},
    "dial.value": {"ru": "Значение", "en": "Value"},
    "dial.empty_group": {
        "ru": "Условий нет: подходят все клиенты.",
        "en": "No conditions: every customer matches.",
    },
    "dial.preview": {"ru": "Кто подходит сейчас", "en": "Who matches now"},
    "dial.preview_count": {
        "ru": "Подходит клиентов: {count} ({ms} мс)",
        "en": "Customers matching: {count} ({ms} ms)",
    },
    "dial.preview_failed": {
        "ru": "Исправьте условие, отмеченное красным.",
        "en": "Fix the condition marked in red.",
    },
    "dial.preview_none": {"ru": "Никто не подходит.", "en": "Nobody matches."},
    "dial.rule_error.unknown_field": {
        "ru": "Такого поля нет: «{name}».",
        "en": "There is no such field: '{name}'.",
    },
    "dial.rule_error.unknown_op": {
        "ru": "Сравнение «{name}» к этому полю не подходит.",
        "en": "The comparison '{name}' does not apply to this field.",
    },
    "dial.rule_error.bad_value": {
        "ru": "Значение не подходит. {hint}",
        "en": "This value does not fit. {hint}",
    },
    "dial.rule_error.bad_shape": {
        "ru": "Условие составлено неверно.",
        "en": "This condition is malformed.",
    },
    "dial.rule_error.too_big": {
        "ru": "Правило слишком большое: упростите его.",
        "en": "The rule is too big: simplify it.",
    },
    "dial.rule_error.days": {
        "ru": "Укажите число дней: целое, от 1 до 36 500.",
        "en": "Enter the number of days: a whole number from 1 to 36,500.",
    },
    "dial.kind.count": {
        "ru": "Нужно целое число, 0 или больше.",
        "en": "A whole number, 0 or more.",
    },
    "dial.kind.money": {"ru": "Нужна сумма, 0 или больше.", "en": "An amount, 0 or more."},
    "dial.kind.ratio": {"ru": "Нужно число, 0 или больше.", "en": "A number, 0 or more."},
    "dial.kind.days": {
        "ru": "Нужно целое число дней, 0 или больше.",
        "en": "A whole number of days, 0 or more.",
    },
    "dial.kind.status": {"ru": "Выберите статус заказа.", "en": "Pick an order status."},
    "dial.kind.text": {"ru": "Введите текст.", "en": "Type some text."},
    "dial.kind.tags": {
        "ru": "Нужна метка: буквы, цифры, пробел, «-», «.», «_».",
        "en": "A tag: letters, digits, space, '-', '.', '_'.",
    },
    "dial.kind.manager": {"ru": "Выберите менеджера.", "en": "Pick a manager."},
    "dial.field.orders_count": {"ru": "Число заказов", "en": "Orders"},
    "dial.field.total_spent": {"ru": "Сумма покупок, ₽", "en": "Total spent, ₽"},
    "dial.field.average_check": {"ru": "Средний чек, ₽", "en": "Average check, ₽"},
    "dial.field.days_since_last_order": {
        "ru": "Дней с последнего заказа",
        "en": "Days since the last order",
    },
    "dial.field.last_order_status": {
        "ru": "Статус последнего заказа",
        "en": "Status of the last order",
    },
    "dial.field.cancelled_orders_in_last_days": {
        "ru": "Отменённых заказов",
        "en": "Cancelled orders",
    },
    "dial.field.birthday_in_days": {"ru": "Дней до дня рождения", "en": "Days to the birthday"},
    "dial.field.tags": {"ru": "Метки", "en": "Tags"},
    "dial.field.city": {"ru": "Город", "en": "City"},
    "dial.field.manager_id": {"ru": "Персональный менеджер", "en": "Personal manager"},
    "dial.field.created_days_ago": {"ru": "Дней с регистрации", "en": "Days since created"},
    "dial.field.last_call_days_ago": {
        "ru": "Дней с последнего звонка",
        "en": "Days since the last call",
    },
    "dial.field.reorder_interval_ratio": {
        "ru": "Пора повторить заказ (доля обычного интервала)",
        "en": "Reorder due (share of the usual interval)",
    },
    "dial.field_hint.orders_count": {
        "ru": "Купленные заказы, без отменённых.",
        "en": "Orders bought, cancelled ones left out.",
    },
    "dial.field_hint.total_spent": {
        "ru": "Сумма купленных заказов.",
        "en": "Sum of orders bought.",
    },
    "dial.field_hint.average_check": {
        "ru": "Сумма покупок / число заказов.",
        "en": "Total spent / orders.",
    },
    "dial.field_hint.days_since_last_order": {
        "ru": "Полных дней с последнего купленного заказа; «не указано» — заказов не было.",
        "en": "Whole days since the last order bought; 'no value': never ordered.",
    },
    "dial.field_hint.last_order_status": {
        "ru": "Статус самого нового заказа, в том числе отменённого.",
        "en": "Status of the latest order, cancelled ones too.",
    },
    "dial.field_hint.cancelled_orders_in_last_days": {
        "ru": "Сколько заказов отменено за последние N дней.",
        "en": "Orders cancelled in the last N days.",
    },
    "dial.field_hint.birthday_in_days": {
        "ru": "0 — сегодня (по Москве); «не указано» — дата рождения неизвестна.",
        "en": "0: today (Moscow date); 'no value': the birthday is unknown.",
    },
    "dial.field_hint.tags": {
        "ru": "«содержит» — есть метка; «одно из» — есть любая; «≠» — метки нет.",
        "en": "contains: has the tag; one of: has any; ≠: does not have it.",
    },
    "dial.field_hint.city": {"ru": "Город, точное совпадение.", "en": "City, exact match."},
    "dial.field_hint.manager_id": {
        "ru": "«не указано» — без персонального менеджера.",
        "en": "'no value': no personal manager.",
    },
    "dial.field_hint.created_days_ago": {
        "ru": "Полных дней с появления клиента в базе.",
        "en": "Whole days since the customer was created.",
    },
    "dial.field_hint.last_call_days_ago": {
        "ru": "Полных дней с последнего звонка; «не указано» — звонков не было.",
        "en": "Whole days since the last call; 'no value': never called.",
    },
    "dial.field_hint.reorder_interval_ratio": {
        "ru": "Время с последнего заказа / обычный интервал между заказами; 1 и больше — пора.",
        "en": "Time since the last order / the usual interval between orders; 1 or more: due.",
    },
    "dial.template.no_order_for_days": {"ru": "Нет заказов 90 дней", "en": "No order for 90 days"},
    "dial.template.cancelled_recently": {
        "ru": "Отменили заказ за 30 дней",
        "en": "Cancelled an order in the last 30 days",
    },
    "dial.template.birthday_soon": {
        "ru": "День рождения в ближайшие 7 дней",
        "en": "Birthday in the next 7 days",
    },
    "dial.template.reorder_due": {"ru": "Пора повторить заказ", "en": "Time to reorder"},
    "dial.template.vip_no_contact": {
        "ru": "VIP без контакта 60 дней",
        "en": "VIP not contacted for 60 days",
    },
    "dial.template_hint.no_order_for_days": {
        "ru": "Покупали, но ничего не заказывали N дней (поменяйте 90 по вкусу).",
        "en": "Bought before, but nothing for N days (change 90 to taste).",
    },
    "dial.template_hint.cancelled_recently": {
        "ru": "Отменили заказ за последние 30 дней: узнайте почему, предложите замену.",
        "en": "Cancelled an order in the last 30 days: find out why, offer a replacement.",
    },
    "dial.template_hint.birthday_soon": {
        "ru": "День рождения сегодня или в ближайшие 7 дней.",
        "en": "Birthday today or in the next 7 days.",
    },
    "dial.template_hint.reorder_due": {
        "ru": "Два заказа и больше, и с последнего прошло больше обычного интервала.",
        "en": "Two orders or more, and more time since the last one than the usual interval.",
    },
    "dial.template_hint.vip_no_contact": {
        "ru": "VIP-клиенты, которым не звонили 60 дней или не звонили никогда.",
        "en": "VIP customers not called for 60 days, or never.",
    },
    "dial.sort": {"ru": "Порядок", "en": "Order"},
    "dial.sort.total_spent_desc": {
        "ru": "сначала с большей суммой покупок",
        "en": "highest total spent first",
    },
    "dial.sort.total_spent_asc": {
        "ru": "сначала с меньшей суммой покупок",
        "en": "lowest total spent first",
    },
    "dial.sort.orders_count_desc": {
        "ru": "сначала с большим числом заказов",
        "en": "most orders first",
    },
    "dial.sort.average_check_desc": {
        "ru": "сначала с большим средним чеком",
        "en": "highest average check first",
    },
    "dial.sort.last_order_oldest": {
        "ru": "сначала давно заказывавшие",
        "en": "oldest last order first",
    },
    "dial.sort.last_order_newest": {
        "ru": "сначала недавно заказывавшие",
        "en": "newest last order first",
    },
    "dial.sort.created_newest": {"ru": "сначала новые клиенты", "en": "newest customers first"},
    "dial.sort.created_oldest": {"ru": "сначала давние клиенты", "en": "oldest customers first"},
    "dial.build_list": {"ru": "Собрать список", "en": "Build a list"},
    "dial.build": {"ru": "Собрать список", "en": "Build the list"},
    "dial.building": {"ru": "Собираем список…", "en": "Building the list…"},
    "dial.build_progress": {
        "ru": "{percent} %: просмотрено {processed} из {matched}",
        "en": "{percent} %: {processed} of {matched} examined",
    },
    "dial.list": {"ru": "Список", "en": "List"},
    "dial.list_name": {"ru": "Название списка", "en": "List name"},
    "dial.managers": {"ru": "Кто обзванивает", "en": "Who calls"},
    "dial.managers_hint": {
        "ru": "Ничего не выбрано — все активные операторы с внутренним номером. "
        "Клиенты с персональным менеджером всегда достаются ему.",
        "en": "None chosen: every active operator with an extension. "
        "Customers with a personal manager always go to them.",
    },
    "dial.hours": {"ru": "Часы звонков", "en": "Calling hours"},
    "dial.hours_hint": {"ru": "по местному времени клиента", "en": "in the customer's own time"},
    "dial.call_from": {"ru": "С", "en": "From"},
    "dial.call_until": {"ru": "До", "en": "Until"},
    "dial.default_timezone": {
        "ru": "Часовой пояс, если у клиента не указан",
        "en": "Time zone when the customer has none",
    },
    "dial.retries": {"ru": "Повторные звонки", "en": "Retries"},
    "dial.max_attempts": {"ru": "Попыток дозвониться", "en": "Attempts"},
    "dial.retry_delay_minutes": {"ru": "Повтор через, мин", "en": "Retry after, min"},
    "dial.lock_timeout_minutes": {
        "ru": "Вернуть в список через, мин",
        "en": "Back to the list after, min",
    },
    "dial.exclusions": {"ru": "Исключить", "en": "Leave out"},
    "dial.exclude_do_not_call": {
        "ru": "Клиентов с пометкой «не звонить»",
        "en": "Customers marked 'do not call'",
    },
    "dial.exclude_tags": {"ru": "Клиентов с метками", "en": "Customers with the tags"},
    "dial.skip_called_within_days": {
        "ru": "Кому звонили за последние дни (0 — не исключать)",
        "en": "Called in the last days (0: off)",
    },
    "dial.max_entries": {"ru": "Не больше записей", "en": "At most entries"},
    "dial.order_and_assignment": {"ru": "Порядок и распределение", "en": "Order and assignment"},
    "dial.assignment": {"ru": "Распределение", "en": "Assignment"},
    "dial.assignment.spread": {
        "ru": "поровну между менеджерами",
        "en": "spread evenly over the managers",
    },
    "dial.assignment.pool": {
        "ru": "общая очередь: кто свободен, тот и берёт",
        "en": "one common pool: whoever is free takes the next",
    },
    "dial.yes": {"ru": "да", "en": "yes"},
    "dial.no": {"ru": "нет", "en": "no"},
    "dial.status": {"ru": "Состояние", "en": "Status"},
    "dial.status.building": {"ru": "собирается", "en": "building"},
    "dial.status.ready": {"ru": "готов", "en": "ready"},
    "dial.status.failed": {"ru": "не собрался", "en": "failed"},
    "dial.created": {"ru": "Создан", "en": "Created"},
    "dial.built": {"ru": "Собран", "en": "Built"},
    "dial.progress": {"ru": "Прогресс", "en": "Progress"},
    "dial.done_of": {"ru": "{done} из {total}", "en": "{done} of {total}"},
    "dial.total": {"ru": "Всего записей", "en": "Entries"},
    "dial.done": {"ru": "Обработано", "en": "Done"},
    "dial.remaining": {"ru": "Осталось", "en": "Remaining"},
    "dial.in_progress": {"ru": "Сейчас в работе", "en": "In progress"},
    "dial.ordered": {"ru": "Оформили заказ", "en": "Ordered"},
    "dial.ordered_n": {"ru": "заказов: {n}", "en": "orders: {n}"},
    "dial.conversion": {"ru": "Конверсия в заказы", "en": "Conversion to orders"},
    "dial.outcomes": {"ru": "Итоги звонков", "en": "Call outcomes"},
    "dial.outcomes_hint": {
        "ru": "Последний итог по каждой записи, в том числе ждущих повторного звонка.",
        "en": "The last outcome of each entry, those waiting for a retry too.",
    },
    "dial.excluded_title": {"ru": "Исключено при сборке", "en": "Left out when built"},
    "dial.matched": {"ru": "Подошло под правило", "en": "Matched the rule"},
    "dial.entries": {"ru": "Попало в список", "en": "Entries made"},
    "dial.excluded.do_not_call": {"ru": "пометка «не звонить»", "en": "do not call"},
    "dial.excluded.tag": {"ru": "исключённые метки", "en": "excluded tags"},
    "dial.excluded.recently_called": {"ru": "недавно звонили", "en": "called recently"},
    "dial.excluded.no_phone": {"ru": "нет верного телефона", "en": "no valid phone"},
    "dial.excluded.duplicate_phone": {
        "ru": "телефон уже в списке",
        "en": "phone already on the list",
    },
    "dial.excluded.over_limit": {"ru": "сверх лимита записей", "en": "over the entry limit"},
    "dial.per_manager": {"ru": "По менеджерам", "en": "Per manager"},
    "dial.pool": {"ru": "Общая очередь", "en": "Common pool"},
    "dial.waiting_title": {"ru": "Кого ждут звонка", "en": "Waiting to be called"},
    "dial.waiting_total": {
        "ru": "Ждут звонка: {n}",
        "en": "Waiting to be called: {n}",
    },
    "dial.waiting_for": {"ru": "Для кого", "en": "For whom"},
    "dial.waiting_count": {"ru": "Ждут", "en": "Waiting"},
    "dial.waiting_pool": {
        "ru": "Общая очередь: любой менеджер списка",
        "en": "Common pool: any manager of the list",
    },
    "dial.waiting_hint": {
        "ru": "Клиенты менеджера, который не работает по списку (не выбран для него или "
        "отключён), ждут в общей очереди.",
        "en": "Customers of a manager who does not work the list (not chosen for it, or "
        "deactivated) wait in the common pool.",
    },
    "dial.own_row_only": {
        "ru": "Вы видите только свою строку; весь список видят автор и супервизоры.",
        "en": "You see your own row; the owner and supervisors see everyone's.",
    },
    "dial.settings": {"ru": "Настройки", "en": "Settings"},
    "dial.work": {"ru": "Работать по списку", "en": "Work this list"},
    "dial.list_progress": {"ru": "Весь список", "en": "Whole list"},
    "dial.my_progress": {"ru": "Мои клиенты", "en": "My customers"},
    "dial.keys": {"ru": "Клавиши", "en": "Keys"},
    "dial.key.next": {"ru": "следующий клиент", "en": "next customer"},
    "dial.key.call": {"ru": "позвонить", "en": "call"},
    "dial.key.outcome": {"ru": "итог звонка", "en": "call outcome"},
    "dial.key.save": {"ru": "сохранить итог", "en": "save the outcome"},
    "dial.press_next": {
        "ru": "Нажмите N, чтобы взять следующего клиента.",
        "en": "Press N to take the next customer.",
    },
    "dial.release": {"ru": "Вернуть в список", "en": "Give back"},
    "dial.released": {
        "ru": "Клиент возвращён в список. N — следующий.",
        "en": "The customer went back to the list. N: next.",
    },
    "dial.taking": {"ru": "Берём следующего клиента…", "en": "Taking the next customer…"},
    "dial.take_failed": {
        "ru": "Не удалось взять клиента: {message}",
        "en": "Could not take a customer: {message}",
    },
    "dial.reason.next": {
        "ru": "{name}: нажмите C, чтобы позвонить, потом выберите итог (1–8).",
        "en": "{name}: press C to call, then pick the outcome (1–8).",
    },
    "dial.reason.held": {
        "ru": "{name} — ваш текущий клиент: позвоните и сохраните итог или верните его в список.",
        "en": "{name} is your current customer: call and save the outcome, or give them back.",
    },
    "dial.reason.callback_due": {
        "ru": "Пора перезвонить: {name} просил(а) перезвонить сейчас.",
        "en": "Time to call back: {name} asked to be called now.",
    },
    "dial.reason.outside_calling_hours": {
        "ru": "Сейчас у ваших клиентов неподходящее время для звонка (по их местному времени). "
        "Можно будет звонить с {at}.",
        "en": "It is outside calling hours for your customers (their local time). "
        "Calls open again at {at}.",
    },
    "dial.reason.waiting": {
        "ru": "Все ваши клиенты ждут повторного звонка. Следующий — {at}.",
        "en": "All your customers are waiting for a retry. The next one at {at}.",
    },
    "dial.reason.assigned_to_others": {
        "ru": "Для вас клиентов больше нет: остальные в списке ждут других менеджеров.",
        "en": "No customers left for you: the rest of the list waits for other managers.",
    },
    "dial.reason.list_done": {
        "ru": "Список пройден: для вас клиентов больше нет.",
        "en": "This list is done: no customers left for you.",
    },
    "dial.reason.not_ready": {
        "ru": "Список ещё собирается, подождите немного.",
        "en": "The list is still being built; wait a moment.",
    },
    "dial.phone": {"ru": "Номер", "en": "Number"},
    "dial.local_time": {"ru": "Время у клиента", "en": "Customer's local time"},
    "dial.attempts": {"ru": "Попыток", "en": "Attempts"},
    "dial.callback_at": {"ru": "Просил перезвонить", "en": "Asked to call back at"},
    "dial.prev_note": {"ru": "Заметка", "en": "Note"},
    "dial.call_status": {"ru": "Звонок по АТС", "en": "Call on the PBX"},
    "dial.outcome": {"ru": "Итог звонка", "en": "Call outcome"},
    "dial.outcome.answered": {"ru": "Поговорили", "en": "Answered"},
    "dial.outcome.no_answer": {"ru": "Не ответил", "en": "No answer"},
    "dial.outcome.busy": {"ru": "Занято", "en": "Busy"},
    "dial.outcome.wrong_number": {"ru": "Неверный номер", "en": "Wrong number"},
    "dial.outcome.callback": {"ru": "Перезвонить", "en": "Call back"},
    "dial.outcome.not_interested": {"ru": "Не интересно", "en": "Not interested"},
    "dial.outcome.do_not_call": {"ru": "Больше не звонить", "en": "Do not call"},
    "dial.outcome.ordered": {"ru": "Оформил заказ", "en": "Ordered"},
    "dial.callback_when": {
        "ru": "Когда перезвонить (ваше время)",
        "en": "Call back at (your time)",
    },
    "dial.callback_needed": {
        "ru": "Укажите, когда перезвонить.",
        "en": "Say when to call back.",
    },
    "dial.order": {"ru": "Заказ", "en": "Order"},
    "dial.order_none": {"ru": "— без заказа —", "en": "— no order —"},
    "dial.order_pick": {"ru": "— выберите заказ —", "en": "— pick the order —"},
    "dial.no_orders": {"ru": "— заказов пока нет —", "en": "— no orders yet —"},
    "dial.order_reload": {"ru": "Обновить", "en": "Refresh"},
    "dial.order_hint": {
        "ru": "Оформите заказ в новой вкладке и нажмите «Обновить».",
        "en": "Create the order in a new tab, then press Refresh.",
    },
    "dial.note": {"ru": "Заметка к звонку", "en": "Note"},
    "dial.save_outcome": {"ru": "Сохранить итог", "en": "Save the outcome"},
    "dial.pick_outcome": {
        "ru": "Выберите итог звонка: клавиши 1–8.",
        "en": "Pick the call outcome: keys 1–8.",
    },
    "dial.outcome_saved": {
        "ru": "Сохранено: {name} — {outcome}. N — следующий клиент.",
        "en": "Saved: {name}, {outcome}. N: next customer.",
    },
    "dial.outcome_failed": {"ru": "Не сохранилось: {message}", "en": "Not saved: {message}"},
    "dial.delete_rule": {"ru": "Удалить правило", "en": "Delete the rule"},
    "dial.delete_list": {"ru": "Удалить список", "en": "Delete the list"},
    "dial.confirm_delete_rule": {
        "ru": "Удалить правило «{name}»? Собранные по нему списки останутся.",
        "en": "Delete the rule “{name}”? Lists built from it stay.",
    },
    "dial.confirm_delete_list": {
        "ru": "Удалить список «{name}» со всеми его записями и итогами звонков?",
        "en": "Delete the list “{name}” with all its entries and call outcomes?",
    },
    "dial.delete_failed": {"ru": "Не удалось удалить: {message}", "en": "Not deleted: {message}"},
    "dial.edit_list": {"ru": "Изменить список", "en": "Edit the list"},
    "dial.edit_list_hint": {
        "ru": "Меняются название и то, как работать по списку; состав списка — нет.",
        "en": "You can change the name and how the list is worked, not who is on it.",
    },
    "dial.save_changes": {"ru": "Сохранить изменения", "en": "Save the changes"},
    "dial.list_saved": {"ru": "Список сохранён.", "en": "The list is saved."},
}
STRINGS.update(DIAL)

# Lines: the shop's numbers (callcenter/lines/), on the pop and in the call log.
LINES: dict[str, dict[str, str]] = {
    "nav.lines": {"ru": "Линии", "en": "Lines"},
    "lines.intro": {
        "ru": "Номера, по которым звонят клиенты: второй магазин, рекламная кампания, "
        "маркетплейс. Название линии видно в карточке звонка и в журнале звонков.",
        "en": "The numbers customers call: a second shop, an ad campaign, a marketplace. "
        "The line's name shows on the call's pop and in the call log.",
    },
    "lines.readonly": {
        "ru": "Линии меняет администратор.",
        "en": "An administrator changes the lines.",
    },
    "lines.number": {"ru": "Номер", "en": "Number"},
    "lines.name": {"ru": "Название", "en": "Name"},
    "lines.source": {"ru": "Магазин или источник", "en": "Shop or source"},
    "lines.group": {"ru": "Кто принимает звонки", "en": "Who takes the calls"},
    "lines.group_hint": {
        "ru": "Если у клиента нет персонального менеджера. Пусто — основная группа.",
        "en": "When the caller has no personal manager. Empty: the default group.",
    },
    "lines.add": {"ru": "Добавить линию", "en": "Add the line"},
    "lines.new": {"ru": "Новая линия", "en": "New line"},
    "lines.delete": {"ru": "Удалить", "en": "Delete"},
    "lines.none": {"ru": "Линий пока нет.", "en": "No lines yet."},
    "lines.confirm_delete": {
        "ru": "Удалить линию? Звонки сохранят номер, но не название.",
        "en": "Delete the line? Its calls keep the number, not the name.",
    },
    "pop.line": {"ru": "на линию «{line}»", "en": "to the line “{line}”"},
    "calls.line": {"ru": "Линия", "en": "Line"},
}
STRINGS.update(LINES)
# Reports (callcenter/reports/): the page, its tables and chart, and the exports.
REPORTS: dict[str, dict[str, str]] = {
    "nav.reports": {"ru": "Отчёты", "en": "Reports"},
    "reports.title": {"ru": "Отчёты", "en": "Reports"},
    "reports.intro": {
        "ru": "Дни — по часам магазина ({zone}). Звонок считается в день и час, когда начался, "
        "после того как закончился. Каждое число ведёт к звонкам, задачам или заказам за ним.",
        "en": "Days are the shop's ({zone}). A call counts on the day and hour it started, once "
        "it has ended. Every number leads to the calls, tasks or orders behind it.",
    },
    "reports.period": {"ru": "Период", "en": "Period"},
    "reports.period.today": {"ru": "Сегодня", "en": "Today"},
    "reports.period.yesterday": {"ru": "Вчера", "en": "Yesterday"},
    "reports.period.this_week": {"ru": "Эта неделя", "en": "This week"},
    "reports.period.this_month": {"ru": "Этот месяц", "en": "This month"},
    "reports.period.custom": {"ru": "Свои даты", "en": "Custom dates"},
    "reports.from": {"ru": "С", "en": "From"},
    "reports.until": {"ru": "По", "en": "Until"},
    "reports.sl_seconds": {
        "ru": "Уровень сервиса: ответ за, с",
        "en": "Service level: answered within, s",
    },
    "reports.show": {"ru": "Показать", "en": "Show"},
    "reports.shown": {"ru": "{first} — {last}", "en": "{first} to {last}"},
    "reports.export": {"ru": "Выгрузить", "en": "Export"},
    "reports.export_csv": {"ru": "CSV: {report}", "en": "CSV: {report}"},
    "reports.export_xlsx": {"ru": "Excel (XLSX), все таблицы", "en": "Excel (XLSX), every table"},
    "reports.managers": {"ru": "По менеджерам", "en": "By manager"},
    "reports.lines": {"ru": "По линиям", "en": "By line"},
    "reports.load": {"ru": "Нагрузка по дням недели и часам", "en": "Load by weekday and hour"},
    "reports.load_inbound": {"ru": "Входящие звонки", "en": "Inbound calls"},
    "reports.load_missed": {"ru": "Пропущенные звонки", "en": "Missed calls"},
    "reports.trend": {"ru": "По дням", "en": "Day by day"},
    "reports.trend_previous": {
        "ru": "Прошлый период: {first} — {last}",
        "en": "The previous period: {first} to {last}",
    },
    "reports.team": {"ru": "Вся команда", "en": "The whole team"},
    "reports.inactive": {"ru": "отключён", "en": "deactivated"},
    "reports.no_line": {"ru": "без линии", "en": "no line"},
    "reports.none": {"ru": "—", "en": "—"},
    "reports.col.manager": {"ru": "Менеджер", "en": "Manager"},
    "reports.col.inbound_offered": {"ru": "Входящие: поступило", "en": "Inbound offered"},
    "reports.col.inbound_answered": {"ru": "принято", "en": "answered"},
    "reports.col.inbound_missed": {"ru": "пропущено", "en": "missed"},
    "reports.col.answered_pct": {"ru": "принято, %", "en": "answered, %"},
    "reports.col.outbound_placed": {"ru": "Исходящие", "en": "Outbound placed"},
    "reports.col.outbound_connected": {"ru": "дозвонились", "en": "connected"},
    "reports.col.wait_avg": {"ru": "Ожидание, с: среднее", "en": "Wait, s: average"},
    "reports.col.wait_p90": {"ru": "90-й перцентиль", "en": "90th percentile"},
    "reports.col.talk_avg": {"ru": "Разговор: средний", "en": "Talk: average"},
    "reports.col.talk_total": {"ru": "всего", "en": "total"},
    "reports.col.callbacks_given": {"ru": "Перезвоны", "en": "Callbacks"},
    "reports.col.callbacks_on_time_pct": {"ru": "вовремя, %", "en": "on time, %"},
    "reports.col.callback_median_minutes": {
        "ru": "медиана до перезвона, мин",
        "en": "median time to call back, min",
    },
    "reports.col.tasks_given": {"ru": "Задачи", "en": "Tasks"},
    "reports.col.tasks_closed_pct": {"ru": "закрыто, %", "en": "closed, %"},
    "reports.col.orders_after_call": {"ru": "Заказы после звонка", "en": "Orders after a call"},
    "reports.col.orders": {"ru": "Заказы", "en": "Orders"},
    "reports.col.conversion_pct": {"ru": "выполнено, %", "en": "completed, %"},
    "reports.col.orders_share_pct": {"ru": "доля заказов, %", "en": "share of orders, %"},
    "reports.col.line": {"ru": "Линия", "en": "Line"},
    "reports.col.source": {"ru": "Источник", "en": "Source"},
    "reports.col.offered": {"ru": "Поступило", "en": "Offered"},
    "reports.col.answered": {"ru": "Принято", "en": "Answered"},
    "reports.col.abandoned": {"ru": "Брошено", "en": "Abandoned"},
    "reports.col.abandoned_pct": {"ru": "брошено, %", "en": "abandoned, %"},
    "reports.col.service_level_pct": {
        "ru": "ответ за {seconds} с, %",
        "en": "answered within {seconds} s, %",
    },
    "reports.col.line_wait_avg": {"ru": "Ожидание, с", "en": "Wait, s"},
    "reports.col.day": {"ru": "День", "en": "Day"},
    "reports.col.calls": {"ru": "Звонки", "en": "Calls"},
    "reports.col.missed": {"ru": "Пропущено", "en": "Missed"},
    "reports.col.previous": {"ru": "прошлый период", "en": "previous period"},
    "reports.col.weekday": {"ru": "День недели", "en": "Weekday"},
    "reports.col.hour": {"ru": "Час", "en": "Hour"},
    "reports.col.inbound": {"ru": "Входящие", "en": "Inbound"},
    "reports.col.team_total": {"ru": "Итого", "en": "Total"},
    "reports.chart_label": {
        "ru": "График по дням; числа — в таблице рядом",
        "en": "A chart by day; its numbers are in the table beside it",
    },
    "weekday.1": {"ru": "Пн", "en": "Mon"},
    "weekday.2": {"ru": "Вт", "en": "Tue"},
    "weekday.3": {"ru": "Ср", "en": "Wed"},
    "weekday.4": {"ru": "Чт", "en": "Thu"},
    "weekday.5": {"ru": "Пт", "en": "Fri"},
    "weekday.6": {"ru": "Сб", "en": "Sat"},
    "weekday.7": {"ru": "Вс", "en": "Sun"},
}
STRINGS.update(REPORTS)

# The browser's softphone in the workplace (callcenter/softphone/: _softphone.html, softphone.js).
SOFTPHONE: dict[str, dict[str, str]] = {
    "phone.title": {"ru": "Телефон в браузере", "en": "Browser phone"},
    "phone.starting": {"ru": "подключается…", "en": "connecting…"},
    "phone.ready": {"ru": "готов принимать звонки", "en": "ready for calls"},
    "phone.reconnecting": {
        "ru": "связь с АТС потеряна, подключаемся снова…",
        "en": "lost the PBX, reconnecting…",
    },
    "phone.other_tab": {
        "ru": "телефон работает в другой вкладке",
        "en": "the phone is working in another tab",
    },
    "phone.take_over": {"ru": "Перенести телефон сюда", "en": "Move the phone here"},
    "phone.busy_elsewhere": {
        "ru": "в другой вкладке идёт разговор: перенести телефон можно после него",
        "en": "another tab is on a call: the phone can move after it",
    },
    "phone.moved": {
        "ru": "телефон перенесён в другую вкладку",
        "en": "the phone moved to another tab",
    },
    "phone.ringing": {"ru": "Входящий звонок: {peer}", "en": "Incoming call: {peer}"},
    "phone.calling": {"ru": "Набираем {peer}…", "en": "Calling {peer}…"},
    "phone.talking": {"ru": "Разговор: {peer}", "en": "On a call: {peer}"},
    "phone.on_hold": {"ru": "На удержании: {peer}", "en": "On hold: {peer}"},
    "phone.answer": {"ru": "Ответить", "en": "Answer"},
    "phone.hangup": {"ru": "Положить трубку", "en": "Hang up"},
    "phone.decline": {"ru": "Отклонить", "en": "Decline"},
    "phone.mute": {"ru": "Выключить микрофон", "en": "Mute"},
    "phone.unmute": {"ru": "Включить микрофон", "en": "Unmute"},
    "phone.hold": {"ru": "Удержание", "en": "Hold"},
    "phone.unhold": {"ru": "Снять с удержания", "en": "Resume"},
    "phone.keypad": {"ru": "Тональный набор", "en": "Keypad"},
    "phone.transfer": {"ru": "Перевести", "en": "Transfer"},
    "phone.transfer_to": {"ru": "Кому (внутренний номер)", "en": "To (extension)"},
    "phone.transfer_bad": {
        "ru": "Введите внутренний номер менеджера: только цифры",
        "en": "Type a manager's extension: digits only",
    },
    "phone.transferred": {"ru": "Звонок переведён на {peer}", "en": "Call transferred to {peer}"},
    "phone.ended": {"ru": "Звонок завершён", "en": "Call ended"},
    "phone.leave_warning": {
        "ru": "Идёт разговор: уход со страницы его завершит",
        "en": "You are on a call: leaving this page ends it",
    },
    "phone.new_tab": {
        "ru": "Во время разговора страницы открываются в новой вкладке",
        "en": "During a call, pages open in a new tab",
    },
    "phone.error.mic_refused": {
        "ru": "Браузер не дал доступ к микрофону: разрешите его для этого сайта",
        "en": "The browser refused the microphone: allow it for this site",
    },
    "phone.error.no_mic": {
        "ru": "Микрофон не найден: подключите гарнитуру",
        "en": "No microphone found: plug in a headset",
    },
    "phone.error.auth": {
        "ru": "АТС не приняла учётную запись телефона: обновите страницу или спросите админа",
        "en": "The PBX refused the phone's account: reload the page or ask an admin",
    },
    "phone.error.elsewhere": {
        "ru": "Ваш телефон уже подключён в другом браузере: сначала выйдите там",
        "en": "Your phone is already connected in another browser: log out there first",
    },
    "phone.error.session": {
        "ru": "Сеанс входа закончился: войдите снова",
        "en": "Your session has ended: log in again",
    },
    "phone.error.not_set_up": {
        "ru": "Телефон в браузере не настроен на сервере",
        "en": "The browser phone is not set up on the server",
    },
    "phone.error.no_extension": {
        "ru": "У вас нет внутреннего номера: попросите администратора",
        "en": "You have no extension: ask an admin for one",
    },
    "phone.error.failed": {"ru": "Телефон: {message}", "en": "Phone: {message}"},
    "phone.error.call_failed": {
        "ru": "Звонок не состоялся: {cause}",
        "en": "The call failed: {cause}",
    },
}
STRINGS.update(SOFTPHONE)
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


# The call log (callcenter/calls/pages.py), where the reports' numbers lead.
CALL_LOG: dict[str, dict[str, str]] = {
    "nav.calls": {"ru": "Звонки", "en": "Calls"},
    "calls.title": {"ru": "Журнал звонков", "en": "Call log"},
    "calls.intro": {
        "ru": "Дни — по часам магазина. Оператор видит звонки, в которых участвовал.",
        "en": "Days are the shop's. An operator sees the calls they took part in.",
    },
    "calls.answered": {"ru": "Ответ", "en": "Answered"},
    "calls.answered.true": {"ru": "отвечен", "en": "answered"},
    "calls.answered.false": {"ru": "без ответа", "en": "not answered"},
    "calls.took_part": {"ru": "Менеджер участвовал", "en": "Manager took part"},
    "calls.also": {"ru": "Ещё условия:", "en": "Also:"},
    "calls.kept.answered_by": {"ru": "ответил(а) {name}", "en": "answered by {name}"},
    "calls.kept.rang": {"ru": "звонило у {name}", "en": "rang {name}"},
    "calls.kept.customer": {"ru": "клиент", "en": "the customer"},
    "calls.kept.customer_calls": {"ru": "с клиентами", "en": "with customers"},
    "calls.kept.ended": {"ru": "завершён", "en": "ended"},
    "calls.kept.recorded": {"ru": "с записью", "en": "recorded"},
    "calls.kept.not_recorded": {"ru": "без записи", "en": "not recorded"},
    "calls.kept.min_wait": {"ru": "ожидание от {seconds} с", "en": "wait {seconds} s or more"},
    "calls.kept.max_wait": {"ru": "ожидание до {seconds} с", "en": "wait {seconds} s or less"},
    "calls.kept.hour": {"ru": "с {hour}:00 до {hour}:59", "en": "{hour}:00 to {hour}:59"},
    "calls.total": {"ru": "Найдено звонков: {count}", "en": "Calls found: {count}"},
    # The tasks behind a report's number (callcenter/tasks/pages.py).
    "tasks.found.title": {"ru": "Задачи по условиям", "en": "Tasks by filter"},
    "tasks.found.mine": {"ru": "← Мои задачи", "en": "← My tasks"},
    "tasks.found.given_from": {"ru": "Поставлены с", "en": "Given from"},
    "tasks.found.kind": {"ru": "Вид", "en": "Kind"},
    "tasks.found.state": {"ru": "Состояние", "en": "State"},
    "tasks.found.assignee": {"ru": "Исполнитель", "en": "Assignee"},
    "tasks.found.total": {"ru": "Найдено задач: {count}", "en": "Tasks found: {count}"},
    "tasks.kind.callback": {"ru": "перезвонить", "en": "callback"},
    "tasks.kind.manual": {"ru": "обычная", "en": "manual"},
    "tasks.state.open": {"ru": "открыта", "en": "open"},
    "tasks.state.closed": {"ru": "выполнена", "en": "closed"},
    "tasks.state.on_time": {"ru": "выполнена в срок", "en": "closed on time"},
    "tasks.state.late": {"ru": "с опозданием или просрочена", "en": "late or overdue"},
    # The orders list (callcenter/orders/pages.py).
    "nav.orders": {"ru": "Заказы", "en": "Orders"},
    "orders.title": {"ru": "Заказы", "en": "Orders"},
    "orders.intro": {
        "ru": "Дни — по часам магазина. Оператор видит заказы своих клиентов и заказы после "
        "своих звонков.",
        "en": "Days are the shop's. An operator sees their customers' orders and the orders "
        "made after their calls.",
    },
    "orders.kept.after_call_by": {
        "ru": "после звонка {name} (за {hours} ч до заказа)",
        "en": "after a call with {name} (within {hours} h before the order)",
    },
    "orders.kept.after_call": {
        "ru": "после звонка (за {hours} ч до заказа)",
        "en": "after a call (within {hours} h before the order)",
    },
    "orders.kept.no_call": {
        "ru": "без звонка за {hours} ч до заказа",
        "en": "no call within {hours} h before the order",
    },
    "orders.total": {"ru": "Найдено заказов: {count}", "en": "Orders found: {count}"},
}
STRINGS.update(CALL_LOG)


# The admin's webhook pages (callcenter/webhooks/).
WEBHOOKS: dict[str, dict[str, str]] = {
    "nav.webhooks": {"ru": "Вебхуки", "en": "Webhooks"},
    "webhooks.intro": {
        "ru": "Сервис сообщает сайту и CRM магазина о звонках, перезвонах и заказах: POST с "
        "JSON на адрес, подписанный секретом (заголовок X-Callcenter-Signature). Доставка "
        "повторяется 24 часа; адрес, который сутки отвечает ошибками, ставится на паузу.",
        "en": "The service tells the shop's site and CRM of calls, callbacks and orders: a "
        "JSON POST to the URL, signed with the secret (the X-Callcenter-Signature header). "
        "A delivery is retried for 24 hours; a URL that fails for a day is paused.",
    },
    "webhooks.allow": {
        "ru": "Кроме публичных адресов, разрешены",
        "en": "Besides public addresses, allowed",
    },
    "webhooks.allow_none": {
        "ru": "ничего (CALLCENTER_WEBHOOK_ALLOW)",
        "en": "nothing (CALLCENTER_WEBHOOK_ALLOW)",
    },
    "webhooks.name": {"ru": "Название", "en": "Name"},
    "webhooks.url": {"ru": "Адрес (URL)", "en": "URL"},
    "webhooks.events": {"ru": "События", "en": "Events"},
    "webhooks.event": {"ru": "Событие", "en": "Event"},
    "webhooks.active": {"ru": "Включён", "en": "On"},
    "webhooks.add": {"ru": "Добавить", "en": "Add"},
    "webhooks.new": {"ru": "Новый адрес", "en": "New endpoint"},
    "webhooks.none": {"ru": "Адресов пока нет.", "en": "No endpoints yet."},
    "webhooks.resume": {"ru": "Снять с паузы", "en": "Resume"},
    "webhooks.resumed": {
        "ru": "Снято с паузы: ждущие события уходят по порядку.",
        "en": "Resumed: the waiting events go, in order.",
    },
    "webhooks.new_secret": {"ru": "Новый секрет", "en": "New secret"},
    "webhooks.confirm_secret": {
        "ru": "Старый секрет сразу перестанет подходить. Сделать новый?",
        "en": "The old secret stops working at once. Make a new one?",
    },
    "webhooks.delete": {"ru": "Удалить", "en": "Delete"},
    "webhooks.confirm_delete": {
        "ru": "Удалить адрес вместе с журналом его доставок?",
        "en": "Delete the endpoint with its delivery log?",
    },
    "webhooks.secret_once": {
        "ru": "Секрет показан один раз: сохраните его в настройках сайта.",
        "en": "The secret is shown this once: keep it in the site's settings.",
    },
    "webhooks.secret_hint": {"ru": "секрет …{hint}", "en": "secret …{hint}"},
    "webhooks.paused_notice": {
        "ru": "«{name}» на паузе с {at}: адрес сутки не принимал события ({reason}). События "
        "ждут и не теряются; исправьте адрес и снимите с паузы.",
        "en": "“{name}” has been paused since {at}: it took no event for a day ({reason}). "
        "Events wait and are not lost; fix the endpoint and resume it.",
    },
    "webhooks.state.ok": {"ru": "работает", "en": "working"},
    "webhooks.state.off": {"ru": "выключен", "en": "switched off"},
    "webhooks.state.paused": {"ru": "на паузе", "en": "paused"},
    "webhooks.state.failing": {"ru": "ошибки с {at}", "en": "failing since {at}"},
    "webhooks.log": {"ru": "Журнал доставок", "en": "Delivery log"},
    "webhooks.log_title": {"ru": "Журнал доставок вебхуков", "en": "Webhook delivery log"},
    "webhooks.back": {"ru": "← Вебхуки", "en": "← Webhooks"},
    "webhooks.counts": {
        "ru": "ждут {pending}, не доставлено {failed}",
        "en": "{pending} waiting, {failed} failed",
    },
    "webhooks.last_success": {"ru": "принято в {at}", "en": "last taken {at}"},
    "webhooks.endpoint": {"ru": "Адрес", "en": "Endpoint"},
    "webhooks.state": {"ru": "Состояние", "en": "State"},
    "webhooks.delivery.pending": {"ru": "ждёт отправки", "en": "waiting"},
    "webhooks.delivery.delivered": {"ru": "доставлено", "en": "delivered"},
    "webhooks.delivery.failed": {"ru": "не доставлено", "en": "failed"},
    "webhooks.next_try": {"ru": "следующая попытка {at}", "en": "next try {at}"},
    "webhooks.when": {"ru": "Когда", "en": "When"},
    "webhooks.tries": {"ru": "Попытки", "en": "Tries"},
    "webhooks.answer": {"ru": "Ответ", "en": "Answer"},
    "webhooks.duration": {"ru": "Время", "en": "Time"},
    "webhooks.details": {"ru": "Подробно", "en": "Details"},
    "webhooks.send_again": {"ru": "Отправить ещё раз", "en": "Send again"},
    "webhooks.sent_again": {"ru": "поставлено в отправку", "en": "queued to send"},
    "webhooks.body": {"ru": "Что отправляется", "en": "What is sent"},
    "webhooks.no_tries": {"ru": "Попыток ещё не было.", "en": "No tries yet."},
    "webhooks.total": {"ru": "Доставок: {count}", "en": "Deliveries: {count}"},
    "webhooks.no_deliveries": {"ru": "Доставок нет.", "en": "No deliveries."},
    "webhooks.howto": {"ru": "Как проверить подпись", "en": "Checking the signature"},
    "webhooks.howto_text": {
        "ru": "Заголовок X-Callcenter-Signature: t=<секунды>,v1=<HMAC-SHA256 строки "
        "\"<t>.<тело запроса>\" с секретом, hex>. Отклоняйте запросы старше 5 минут; id "
        "события повторяется при повторной доставке — по нему отбрасывайте дубли.",
        "en": "The X-Callcenter-Signature header: t=<seconds>,v1=<hex HMAC-SHA256 of "
        "\"<t>.<raw body>\" with the secret>. Refuse requests older than 5 minutes; an "
        "event's id repeats when it is delivered again: drop duplicates by it.",
    },
    "webhooks.event.call.ringing": {"ru": "звонок начался", "en": "a call rings"},
    "webhooks.event.call.answered": {"ru": "на звонок ответили", "en": "a call is answered"},
    "webhooks.event.call.ended": {"ru": "звонок завершён", "en": "a call ended"},
    "webhooks.event.call.missed": {"ru": "пропущенный звонок", "en": "a missed call"},
    "webhooks.event.recording.ready": {"ru": "запись готова", "en": "a recording is ready"},
    "webhooks.event.callback.created": {"ru": "поставлен перезвон", "en": "a callback is due"},
    "webhooks.event.callback.closed": {"ru": "перезвон выполнен", "en": "a callback is done"},
    "webhooks.event.order.created": {
        "ru": "заказ после звонка",
        "en": "an order after a call",
    },
    "webhooks.event.dial_list.outcome": {
        "ru": "итог звонка по списку обзвона",
        "en": "a dial-list call's outcome",
    },
}
STRINGS.update(WEBHOOKS)
# "Call me back" on the shop's website (callcenter/web_callback/): the widget's form (it asks
# for these over the public API: it cannot read the workplace's page data), the answers and
# errors a visitor reads, the shop's working hours on the routing page, and what a callback
# from the website says on the task pages and in the operators' pop.
WEB_CALLBACK: dict[str, dict[str, str]] = {
    "web_callback.title": {"ru": "Перезвоним вам", "en": "We'll call you back"},
    "web_callback.phone": {"ru": "Ваш телефон", "en": "Your phone number"},
    "web_callback.order": {"ru": "Номер заказа, если есть", "en": "Order number, if you have one"},
    "web_callback.name": {
        "ru": "Как к вам обращаться (необязательно)",
        "en": "Your name (optional)",
    },
    "web_callback.send": {"ru": "Перезвоните мне", "en": "Call me back"},
    "web_callback.sending": {"ru": "Отправляем…", "en": "Sending…"},
    "web_callback.trap": {"ru": "Оставьте это поле пустым", "en": "Leave this field empty"},
    "web_callback.network": {
        "ru": "Не получилось отправить: магазин не ответил. Попробуйте ещё раз.",
        "en": "Could not send: the shop did not answer. Please try again.",
    },
    "web_callback.calling": {
        "ru": "Спасибо! Менеджер уже звонит вам — возьмите трубку.",
        "en": "Thank you! A manager is calling you now: please pick up.",
    },
    "web_callback.soon": {
        "ru": "Спасибо! Все менеджеры сейчас заняты — перезвоним в течение {minutes} мин.",
        "en": "Thank you! Every manager is busy right now: we will call you back within "
        "{minutes} min.",
    },
    "web_callback.closed": {
        "ru": "Спасибо! Сейчас магазин не работает — перезвоним {when}.",
        "en": "Thank you! The shop is closed now: we will call you back {when}.",
    },
    "web_callback.closed_for_now": {
        "ru": "Спасибо! Сейчас магазин не работает — перезвоним, как только откроемся.",
        "en": "Thank you! The shop is closed now: we will call you back as soon as it opens.",
    },
    # "во вторник, 08.12.2026 09:00 МСК", "on Tuesday, 08/12/2026 09:00 MSK".
    "web_callback.when": {"ru": "{day}, {moment}", "en": "{day}, {moment}"},
    "web_callback.on.mon": {"ru": "в понедельник", "en": "on Monday"},
    "web_callback.on.tue": {"ru": "во вторник", "en": "on Tuesday"},
    "web_callback.on.wed": {"ru": "в среду", "en": "on Wednesday"},
    "web_callback.on.thu": {"ru": "в четверг", "en": "on Thursday"},
    "web_callback.on.fri": {"ru": "в пятницу", "en": "on Friday"},
    "web_callback.on.sat": {"ru": "в субботу", "en": "on Saturday"},
    "web_callback.on.sun": {"ru": "в воскресенье", "en": "on Sunday"},
    "web_callback.error.fields": {"ru": "Проверьте форму.", "en": "Please check the form."},
    "web_callback.error.phone": {
        "ru": "Проверьте номер: нужен полный номер телефона, например +7 916 123-45-67.",
        "en": "Please check the number: we need a full phone number, such as +7 916 123-45-67.",
    },
    "web_callback.error.phone_required": {
        "ru": "Укажите номер телефона.",
        "en": "Please give your phone number.",
    },
    "web_callback.error.phone_kind": {
        "ru": "На такой номер мы не звоним: укажите мобильный или городской телефон.",
        "en": "We cannot call this kind of number: please give a mobile or landline number.",
    },
    "web_callback.error.phone_country": {
        "ru": "На номера этой страны мы не звоним: укажите другой номер.",
        "en": "We do not call numbers in this country: please give another number.",
    },
    "web_callback.error.order": {
        "ru": "Заказа с таким номером нет. Проверьте номер или оставьте поле пустым.",
        "en": "There is no order with this number. Please check it, or leave the field empty.",
    },
    "web_callback.error.too_long": {
        "ru": "Слишком длинно: не больше {max} символов.",
        "en": "Too long: {max} characters at most.",
    },
    "web_callback.error.not_text": {"ru": "Ожидается текст.", "en": "Text is expected here."},
    "web_callback.error.extra": {
        "ru": "Такого поля в заявке нет.",
        "en": "A callback request has no such field.",
    },
    "web_callback.error.json": {
        "ru": "Заявка не прочитана: ожидается объект JSON.",
        "en": "The request could not be read: a JSON object is expected.",
    },
    "web_callback.error.content_type": {
        "ru": "Заявка не прочитана: отправьте JSON (Content-Type: application/json).",
        "en": "The request could not be read: send JSON (Content-Type: application/json).",
    },
    "web_callback.error.too_large": {
        "ru": "Заявка слишком большая: не больше {max} байт.",
        "en": "The request is too large: {max} bytes at most.",
    },
    "web_callback.error.origin": {
        "ru": "С этого сайта заявки на обратный звонок не принимаются.",
        "en": "Callback requests are not accepted from this website.",
    },
    "web_callback.error.too_many": {
        "ru": "Слишком много заявок. Попробуйте снова через {minutes} мин.",
        "en": "Too many requests. Please try again in {minutes} min.",
    },
    "hours.title": {"ru": "Часы работы магазина", "en": "The shop's working hours"},
    "hours.hint": {
        "ru": "По часам магазина ({zone}). В эти часы заявка с сайта сразу соединяет свободного "
        "менеджера с посетителем; в другое время посетитель узнаёт, когда ему перезвонят.",
        "en": "On the shop's clock ({zone}). Within these hours a callback request from the "
        "website connects a free manager to the visitor at once; outside them the visitor is "
        "told when the shop will call.",
    },
    "hours.midnight_hint": {
        "ru": "Закрытие в 00:00 — в полночь. Работа после полуночи — два дня: "
        "пт 20:00–00:00 и сб 00:00–02:00.",
        "en": "Closing at 00:00 is at midnight. Hours past midnight are two days: "
        "Fri 20:00–00:00 and Sat 00:00–02:00.",
    },
    "hours.day": {"ru": "День", "en": "Day"},
    "hours.works": {"ru": "Работаем", "en": "Open"},
    "hours.open": {"ru": "С", "en": "Opens"},
    "hours.close": {"ru": "До", "en": "Closes"},
    "hours.day.mon": {"ru": "Понедельник", "en": "Monday"},
    "hours.day.tue": {"ru": "Вторник", "en": "Tuesday"},
    "hours.day.wed": {"ru": "Среда", "en": "Wednesday"},
    "hours.day.thu": {"ru": "Четверг", "en": "Thursday"},
    "hours.day.fri": {"ru": "Пятница", "en": "Friday"},
    "hours.day.sat": {"ru": "Суббота", "en": "Saturday"},
    "hours.day.sun": {"ru": "Воскресенье", "en": "Sunday"},
    "task.event.website": {
        "ru": "Просьба перезвонить с сайта: {at}",
        "en": "Asked on the website to be called back: {at}",
    },
    "task.event.ring_failed": {
        "ru": "Соединить с менеджером не удалось: {at}",
        "en": "The manager's phone did not connect: {at}",
    },
    "task.event.order": {"ru": "заказ {order}", "en": "order {order}"},
    "task.event.order_not_theirs": {
        "ru": "заказ не этого номера: не называйте его подробностей, пока не убедитесь, "
        "с кем говорите",
        "en": "the order is not this number's: say nothing of it until you know who you are "
        "talking to",
    },
    "task.event.name": {"ru": "представился: {name}", "en": "name given: {name}"},
    "task.callback_web": {
        "ru": "Просят перезвонить с сайта: {who}",
        "en": "Asked on the website: call {who} back",
    },
}
STRINGS.update(WEB_CALLBACK)


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


# A moment in a text, on the shop's clock (CALLCENTER_TIMEZONE), and the zone's name as a reader
# of the language writes it.
_DATETIME_FORMATS = {"ru": "%d.%m.%Y %H:%M", "en": "%d/%m/%Y %H:%M"}
_ZONE_NAMES = {"ru": {"MSK": "МСК"}}


def local_datetime(value: dt.datetime, lang: str, zone: dt.tzinfo) -> str:
    """A moment (naive UTC, as stored, or aware) on ``zone``'s clock with the zone's name:
    "15.06.2026 15:04 МСК", "15/06/2026 15:04 MSK"."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    local = aware.astimezone(zone)
    name = local.tzname() or ""
    name = _ZONE_NAMES.get(lang, {}).get(name, name)
    pattern = _DATETIME_FORMATS.get(lang, _DATETIME_FORMATS[DEFAULT_LANGUAGE])
    return f"{local.strftime(pattern)} {name}".strip()
