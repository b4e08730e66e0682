"""ISO 3166-1 countries for the application form, and the sales region of each.

Regions are the partner account's (apps.partners.models.Region): na, latam, emea, apac.
"""

# code|name|region, one per line.
_DATA = """
AF|Afghanistan|apac
AX|Åland Islands|emea
AL|Albania|emea
DZ|Algeria|emea
AS|American Samoa|apac
AD|Andorra|emea
AO|Angola|emea
AI|Anguilla|latam
AG|Antigua and Barbuda|latam
AR|Argentina|latam
AM|Armenia|emea
AW|Aruba|latam
AU|Australia|apac
AT|Austria|emea
AZ|Azerbaijan|emea
BS|Bahamas|latam
BH|Bahrain|emea
BD|Bangladesh|apac
BB|Barbados|latam
BY|Belarus|emea
BE|Belgium|emea
BZ|Belize|latam
BJ|Benin|emea
BM|Bermuda|na
BT|Bhutan|apac
BO|Bolivia|latam
BA|Bosnia and Herzegovina|emea
BW|Botswana|emea
BR|Brazil|latam
BN|Brunei|apac
BG|Bulgaria|emea
BF|Burkina Faso|emea
BI|Burundi|emea
CV|Cabo Verde|emea
KH|Cambodia|apac
CM|Cameroon|emea
CA|Canada|na
KY|Cayman Islands|latam
CF|Central African Republic|emea
TD|Chad|emea
CL|Chile|latam
CN|China|apac
CO|Colombia|latam
KM|Comoros|emea
CG|Congo|emea
CD|Congo (Democratic Republic)|emea
CK|Cook Islands|apac
CR|Costa Rica|latam
CI|Côte d’Ivoire|emea
HR|Croatia|emea
CU|Cuba|latam
CW|Curaçao|latam
CY|Cyprus|emea
CZ|Czechia|emea
DK|Denmark|emea
DJ|Djibouti|emea
DM|Dominica|latam
DO|Dominican Republic|latam
EC|Ecuador|latam
EG|Egypt|emea
SV|El Salvador|latam
GQ|Equatorial Guinea|emea
ER|Eritrea|emea
EE|Estonia|emea
SZ|Eswatini|emea
ET|Ethiopia|emea
FO|Faroe Islands|emea
FJ|Fiji|apac
FI|Finland|emea
FR|France|emea
GF|French Guiana|latam
PF|French Polynesia|apac
GA|Gabon|emea
GM|Gambia|emea
GE|Georgia|emea
DE|Germany|emea
GH|Ghana|emea
GI|Gibraltar|emea
GR|Greece|emea
GL|Greenland|emea
GD|Grenada|latam
GP|Guadeloupe|latam
GU|Guam|apac
GT|Guatemala|latam
GG|Guernsey|emea
GN|Guinea|emea
GW|Guinea-Bissau|emea
GY|Guyana|latam
HT|Haiti|latam
HN|Honduras|latam
HK|Hong Kong|apac
HU|Hungary|emea
IS|Iceland|emea
IN|India|apac
ID|Indonesia|apac
IR|Iran|emea
IQ|Iraq|emea
IE|Ireland|emea
IM|Isle of Man|emea
IL|Israel|emea
IT|Italy|emea
JM|Jamaica|latam
JP|Japan|apac
JE|Jersey|emea
JO|Jordan|emea
KZ|Kazakhstan|emea
KE|Kenya|emea
KI|Kiribati|apac
KR|Korea (South)|apac
XK|Kosovo|emea
KW|Kuwait|emea
KG|Kyrgyzstan|emea
LA|Laos|apac
LV|Latvia|emea
LB|Lebanon|emea
LS|Lesotho|emea
LR|Liberia|emea
LY|Libya|emea
LI|Liechtenstein|emea
LT|Lithuania|emea
LU|Luxembourg|emea
MO|Macao|apac
MG|Madagascar|emea
MW|Malawi|emea
MY|Malaysia|apac
MV|Maldives|apac
ML|Mali|emea
MT|Malta|emea
MH|Marshall Islands|apac
MQ|Martinique|latam
MR|Mauritania|emea
MU|Mauritius|emea
YT|Mayotte|emea
MX|Mexico|latam
FM|Micronesia|apac
MD|Moldova|emea
MC|Monaco|emea
MN|Mongolia|apac
ME|Montenegro|emea
MA|Morocco|emea
MZ|Mozambique|emea
MM|Myanmar|apac
NA|Namibia|emea
NR|Nauru|apac
NP|Nepal|apac
NL|Netherlands|emea
NC|New Caledonia|apac
NZ|New Zealand|apac
NI|Nicaragua|latam
NE|Niger|emea
NG|Nigeria|emea
MK|North Macedonia|emea
MP|Northern Mariana Islands|apac
NO|Norway|emea
OM|Oman|emea
PK|Pakistan|apac
PW|Palau|apac
PS|Palestine|emea
PA|Panama|latam
PG|Papua New Guinea|apac
PY|Paraguay|latam
PE|Peru|latam
PH|Philippines|apac
PL|Poland|emea
PT|Portugal|emea
PR|Puerto Rico|latam
QA|Qatar|emea
RE|Réunion|emea
RO|Romania|emea
RU|Russia|emea
RW|Rwanda|emea
KN|Saint Kitts and Nevis|latam
LC|Saint Lucia|latam
VC|Saint Vincent and the Grenadines|latam
WS|Samoa|apac
SM|San Marino|emea
ST|São Tomé and Príncipe|emea
SA|Saudi Arabia|emea
SN|Senegal|emea
RS|Serbia|emea
SC|Seychelles|emea
SL|Sierra Leone|emea
SG|Singapore|apac
SX|Sint Maarten|latam
SK|Slovakia|emea
SI|Slovenia|emea
SB|Solomon Islands|apac
SO|Somalia|emea
ZA|South Africa|emea
SS|South Sudan|emea
ES|Spain|emea
LK|Sri Lanka|apac
SD|Sudan|emea
SR|Suriname|latam
SE|Sweden|emea
CH|Switzerland|emea
SY|Syria|emea
TW|Taiwan|apac
TJ|Tajikistan|emea
TZ|Tanzania|emea
TH|Thailand|apac
TL|Timor-Leste|apac
TG|Togo|emea
TO|Tonga|apac
TT|Trinidad and Tobago|latam
TN|Tunisia|emea
TR|Türkiye|emea
TM|Turkmenistan|emea
TC|Turks and Caicos Islands|latam
TV|Tuvalu|apac
UG|Uganda|emea
UA|Ukraine|emea
AE|United Arab Emirates|emea
GB|United Kingdom|emea
US|United States|na
UY|Uruguay|latam
UZ|Uzbekistan|emea
VU|Vanuatu|apac
VA|Vatican City|emea
VE|Venezuela|latam
VN|Vietnam|apac
VG|Virgin Islands (British)|latam
VI|Virgin Islands (U.S.)|latam
YE|Yemen|emea
ZM|Zambia|emea
ZW|Zimbabwe|emea
"""

COUNTRIES: list[tuple[str, str]] = []
_REGION: dict[str, str] = {}
for _line in _DATA.strip().splitlines():
    _code, _name, _region = _line.split("|")
    COUNTRIES.append((_code, _name))
    _REGION[_code] = _region
COUNTRY_NAMES = dict(COUNTRIES)


def region_for(country: str) -> str:
    """The sales region of an ISO country code ("" when unknown)."""
    return _REGION.get((country or "").upper(), "")


def country_name(country: str) -> str:
    return COUNTRY_NAMES.get((country or "").upper(), country or "")
