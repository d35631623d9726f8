"""Session-state keys, in one place (never literal strings in pages)."""

INITIALISED = "crm.initialised"       # URL read into state once per session
ROUTED = "crm.routed"                 # set by app.py for the run it routes
VALUES = "crm.values"                 # {widget key: value}: the filters' memory across pages
LANG = "crm.lang"                     # language radio
PAGE_TITLE = "crm.page_title"         # title key of the page being drawn (names exported files)
PERIOD = "crm.filter.period"          # (start, end) date range
AS_OF = "crm.filter.as_of"
AS_OF_MOVED = "crm.filter.as_of_moved"  # (chosen, period end) when an as-of before the period end was moved
PROVINCES = "crm.filter.provinces"
CHANNELS = "crm.filter.channels"
CATEGORIES = "crm.filter.categories"
GENDERS = "crm.filter.genders"
AGE_BANDS = "crm.filter.age_bands"

# Data page
IMPORT_KIND = "data.import.kind"
IMPORT_VALUES = "data.import.values"      # + file, kind, dimension, value: choice for an unknown value
IMPORT_TEMPLATE = "data.import.template"  # + kind, format: template download buttons
IMPORT_MEMORY = "data.import.memory"      # table of remembered value mappings
IMPORT_FILE = "data.import.file"
IMPORT_MAPPING = "data.import.mapping"
IMPORT_RESULT = "data.import.result"
IMPORT_ENCODING = "data.import.encoding"   # + file key: chosen text encoding ("" = detect)
IMPORT_SHEET = "data.import.sheet"         # + file key: chosen Excel sheet
IMPORT_DECIMAL = "data.import.decimal"     # + file key: chosen decimal mark ("" = detect)
SURVEY_TITLE = "data.survey.title"         # + file key: the survey's title
SURVEY_WAVE = "data.survey.wave"           # + file key: the survey's wave
SURVEY_LINK = "data.survey.link"           # + file key: the column linking respondents to customers
SURVEY_QUESTIONS = "data.survey.questions"  # + file key: the questions editor (kind, dimension, measure, reverse)

# Filter dimension -> (state key, URL parameter)
DIMENSION_KEYS = {
    "provinces": (PROVINCES, "prov"),
    "channels": (CHANNELS, "chan"),
    "categories": (CATEGORIES, "cat"),
    "genders": (GENDERS, "gender"),
    "age_bands": (AGE_BANDS, "age"),
}

# Key accounts page
KA_PICKED = "ka.360.picked"           # customer picked in the table for the 360° view
KA_DROP = "ka.drop"                   # alert: revenue fell by more than (%)
KA_INACTIVE = "ka.inactive"           # alert: no order for at least (days)
KA_TAB = "ka.tab"                     # the open key-accounts tab (only it is drawn)
KA_COLUMNS = "ka.columns"             # optional key-account columns the user chose to show

# Access (login, roles)
AUTH_USER = "crm.auth.user"           # {"name", "role"} of the signed-in user
AUTH_LOGIN_FORM = "crm.auth.login"    # the login form
AUTH_LOGIN_NAME = "crm.auth.login.name"
AUTH_LOGIN_PASSWORD = "crm.auth.login.password"
AUTH_LOGOUT = "crm.auth.logout"
REVEALED = "crm.privacy.revealed"     # customer ids whose full contact fields this session revealed
ERASED = "crm.privacy.erased"         # customer id erased by the last run, for its confirmation message

# Satisfaction page
SAT_SURVEY = "sat.survey"             # questionnaire (survey title) chosen
SAT_WAVE = "sat.wave"                 # wave (survey id) chosen, or all waves
SAT_TAB = "sat.tab"                   # the open tab
SAT_WEIGHTS = "sat.csi.weights"       # CSI weights editor
SAT_TARGET = "sat.drivers.target"     # drivers against overall satisfaction or NPS
SAT_UNIT = "sat.trend.unit"           # trend by week or month
SAT_GROUP = "sat.breakdown.group"     # breakdown by province, channel, …
SAT_SEARCH = "sat.comments.search"    # comment search text
SAT_BY = "sat.loyalty.by"             # loyalty by satisfaction level or NPS group

# Retention page (widget keys; the segment, curve, threshold keys take a suffix)
RET_TAB = "ret.tab"                   # open tab
RET_BY = "ret.by"                     # cohort granularity
RET_DEFINITION = "ret.definition"     # exact / unbounded retention
RET_VALUES = "ret.values"             # share / customers / revenue in the heatmap
RET_SPLIT = "ret.split"               # split property (None = no split)
RET_SEGMENT = "ret.segment"           # + split: the split value shown
RET_CURVE_COHORTS = "ret.curves"      # + granularity: cohorts overlaid on the average curve
RET_THRESHOLD = "ret.threshold"       # + derived days: the churn threshold in use
RET_SANKEY_MONTH = "ret.sankey.month"  # month whose flows the Sankey shows

# Churn page (流失预警)
CHURN_TAB = "churn.tab"                  # open tab: risk, model card, win-back list
CHURN_HORIZON = "churn.horizon"          # churn horizon in days
CHURN_SEED = "churn.seed"                # random state of the model
WINBACK_STATUS = "churn.wb.status"       # win-back filters
WINBACK_ACTION = "churn.wb.action"
WINBACK_CATEGORY = "churn.wb.category"
WINBACK_PROVINCE = "churn.wb.province"
WINBACK_MIN_PROBABILITY = "churn.wb.min_probability"
WINBACK_MAX_DAYS = "churn.wb.max_days"
# Lifetime value page
CLV_HORIZON = "clv.horizon"           # months of future value
CLV_DISCOUNT = "clv.discount"         # monthly discount rate, percent
CLV_MARGIN = "clv.margin"             # margin, percent (None: the data's own margin)
CLV_UNIT = "clv.unit"                 # 'week' or 'day'
CLV_TAB = "clv.tab"
CLV_TOP_ROWS = "clv.top.rows"
CLV_GROUP = "clv.group"               # breakdown dimension
CLV_HOLDOUT = "clv.backtest.holdout"  # holdout months
