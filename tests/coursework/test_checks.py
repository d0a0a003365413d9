from coursework.checks import refuse_default_secret_key_in_production


def test_it_refuses_the_default_secret_key_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEFAULT_SECRET_KEY
    errors = refuse_default_secret_key_in_production(None)
    assert [e.id for e in errors] == ["coursework.E001"]


def test_it_accepts_a_real_key_in_production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "a-long-random-production-key-0123456789abcdef"
    assert refuse_default_secret_key_in_production(None) == []


def test_the_default_key_is_fine_for_development(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEFAULT_SECRET_KEY
    assert refuse_default_secret_key_in_production(None) == []
