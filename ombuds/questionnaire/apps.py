from django.apps import AppConfig


class QuestionnaireConfig(AppConfig):
    name = "ombuds.questionnaire"
    label = "questionnaire"
    verbose_name = "questionnaire"
