from django.urls import path

from ombuds.questionnaire import views

app_name = "questionnaire"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:category>/", views.category_page, name="category"),
    path("<str:category>/draft/", views.start_draft, name="start_draft"),
    path("<str:category>/draft/discard/", views.discard, name="discard"),
    path("<str:category>/draft/preview/", views.preview, name="preview"),
    path("<str:category>/draft/publish/", views.publish, name="publish"),
    path("<str:category>/draft/questions/new/", views.question_new, name="question_new"),
    path("<str:category>/draft/questions/<int:question_id>/", views.question_edit, name="question_edit"),
    path("<str:category>/draft/questions/<int:question_id>/move/", views.question_move, name="question_move"),
    path("<str:category>/draft/questions/<int:question_id>/remove/", views.question_remove, name="question_remove"),
    path("<str:category>/versions/<int:version>/", views.version_page, name="version"),
]
